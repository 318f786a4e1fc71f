# Writes the R-package datasets of the realdata bench as CSV (empty field = missing).
# Usage: Rscript bench/realdata/make-datasets.R OUT_DIR   (Debian r-cran-modeldata, r-cran-mlbench)
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
write_set <- function(df, name) {
  df <- as.data.frame(df)
  # Factor labels never carry commas here, but strip them so unquoted CSV stays unambiguous.
  for (c in names(df)) if (is.factor(df[[c]]) || is.character(df[[c]])) df[[c]] <- gsub(",", ";", as.character(df[[c]]))
  write.csv(df, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "", quote = FALSE)
}
data(lending_club, package = "modeldata"); write_set(lending_club, "lending_club")
data(wa_churn, package = "modeldata"); write_set(wa_churn, "wa_churn")
data(concrete, package = "modeldata"); write_set(concrete, "concrete")
data(ad_data, package = "modeldata"); write_set(ad_data, "ad_data")
data(PimaIndiansDiabetes2, package = "mlbench"); write_set(PimaIndiansDiabetes2, "pima2")
data(Sonar, package = "mlbench"); write_set(Sonar, "sonar")
data(Ionosphere, package = "mlbench"); write_set(Ionosphere, "ionosphere")
data(BostonHousing, package = "mlbench"); write_set(BostonHousing, "boston")
