"""PyTorch CPU anchor for bench/mlp.ts: the same network, optimiser and batch size on the same
standardised matrices. Reads DIR/syn.{xtr,xte,ytr,yte}.f64 + DIR/syn.json; prints one JSON line.

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/mlp_anchor.py DIR EPOCHS
"""
import json
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

torch.set_num_threads(2)
torch.manual_seed(0)
d, epochs = sys.argv[1], int(sys.argv[2])
meta = json.load(open(f'{d}/syn.json'))
p = meta['cols']
xtr = torch.from_numpy(np.fromfile(f'{d}/syn.xtr.f64').reshape(-1, p).astype(np.float32))
xte = torch.from_numpy(np.fromfile(f'{d}/syn.xte.f64').reshape(-1, p).astype(np.float32))
ytr = torch.from_numpy(np.fromfile(f'{d}/syn.ytr.f64').astype(np.float32))
yte = np.fromfile(f'{d}/syn.yte.f64')
layers, width = [], p
act = torch.nn.GELU if meta.get('activation') == 'gelu' else torch.nn.ReLU
for h in meta['hidden']:
    layers += [torch.nn.Linear(width, h), torch.nn.BatchNorm1d(h), act()]
    if meta.get('dropout', 0) > 0:
        layers.append(torch.nn.Dropout(meta['dropout']))
    width = h
layers.append(torch.nn.Linear(width, 1))
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=meta['learningRate'])
loss_fn = torch.nn.BCEWithLogitsLoss()
bs = meta['batchSize']
g = torch.Generator().manual_seed(0)
epoch_seconds, epoch_cpu, train_loss = [], [], []
for e in range(epochs):
    net.train()
    t = time.perf_counter()
    c = time.process_time()
    total, count = 0.0, 0
    perm = torch.randperm(xtr.shape[0], generator=g)
    for s in range(0, xtr.shape[0], bs):
        idx = perm[s:s + bs]
        if idx.numel() < 2:
            break
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xtr[idx]).squeeze(1), ytr[idx])
        loss.backward()
        opt.step()
        total += float(loss.detach()) * idx.numel()
        count += idx.numel()
    epoch_seconds.append(time.perf_counter() - t)
    epoch_cpu.append(time.process_time() - c)
    train_loss.append(total / count)
net.eval()
with torch.no_grad():
    t = time.perf_counter()
    score = torch.sigmoid(net(xte).squeeze(1)).numpy()
    predict_seconds = time.perf_counter() - t
print(json.dumps({'epochSeconds': epoch_seconds, 'epochCpuSeconds': epoch_cpu, 'trainLoss': train_loss, 'auc': float(roc_auc_score(yte, score)),
                  'predictSeconds': predict_seconds, 'threads': torch.get_num_threads(),
                  'torch': torch.__version__}))
