"""Regenerates docs/errors.md: every stable error code in src/, where it is raised, and an example message.

Run from the repository root: python3 docs/gen-errors.py
"""
import glob
import re

PATTERN = re.compile(
    r"'((?:DATA|MODEL|ARTIFACT|SERVE|LLM|RAG|MONITOR|EVAL|STORE|CLI|TARGET|REGISTRY|GBDT|FOREST|NOT|CONFLICT|INVALID|INTERNAL)_[A-Z0-9_]+|CONFLICT|INTERNAL)'"
)
MESSAGE = re.compile(r"[`'\"]([A-Z][^`'\"]{20,})[`'\"]")
codes = {}
for path in sorted(f for f in glob.glob('src/**/*.ts', recursive=True) if not f.endswith('.test.ts')):
    lines = open(path, encoding='utf-8').read().split('\n')
    for i, line in enumerate(lines):
        for m in PATTERN.finditer(line):
            entry = codes.setdefault(m.group(1), {'where': set(), 'msg': None})
            entry['where'].add(path.split('/')[1])
            if entry['msg'] is None:
                after = line[m.end():] + '\n' + '\n'.join(lines[i + 1:i + 8])
                found = MESSAGE.search(after)
                if found:
                    entry['msg'] = re.sub(r'\$\{[^}]*\}', '…', found.group(1)).replace('|', '\\|')[:180]
out = [
    '# Error codes',
    '',
    'Every error Keel raises on purpose carries a stable `code`. The CLI prints `error [CODE]: message` and',
    'exits 2; the server answers with `error.code` in a JSON body and the HTTP status from one table',
    '(`src/serve/errors.ts`: bad input 400/422, unknown model 404, conflict 409, anything else a generic 500',
    'with a request id). Messages say what happened, what was received and what to do. This table lists',
    'each code, the capability that raises it and an example message, generated from the source by',
    '`python3 docs/gen-errors.py`.',
    '',
    '| code | raised by | example message |',
    '|---|---|---|',
]
for code in sorted(codes):
    e = codes[code]
    out.append(f"| `{code}` | {', '.join(sorted(e['where']))} | {e['msg'] or '(see the raising module)'} |")
open('docs/errors.md', 'w', encoding='utf-8').write('\n'.join(out) + '\n')
print(f'{len(codes)} codes')
