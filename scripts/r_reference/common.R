# Shared helpers for the R reference scripts. Sourced by every *.R script here.
# Run from the repository root (run.sh does this).
suppressPackageStartupMessages({
  library(jsonlite)
})

FIX_DIR <- file.path("tests", "fixtures", "r_reference")
IN_DIR <- file.path(FIX_DIR, "inputs")

read_input <- function(name) {
  read.csv(file.path(IN_DIR, name), stringsAsFactors = FALSE)
}

xy <- function(df) as.matrix(df[, c("x1", "x2")])

versions <- function(pkgs = c("fpc", "cluster", "ConsensusClusterPlus", "NMF")) {
  v <- list(R = R.version.string)
  for (p in pkgs) v[[p]] <- as.character(packageVersion(p))
  v
}

write_fixture <- function(obj, name, pkgs = c("fpc", "cluster", "ConsensusClusterPlus", "NMF")) {
  obj <- c(list(generated_by = paste0("scripts/r_reference/", SCRIPT_NAME),
                versions = versions(pkgs)), obj)
  path <- file.path(FIX_DIR, name)
  writeLines(toJSON(obj, auto_unbox = TRUE, digits = I(15), pretty = TRUE,
                    na = "null", null = "null", matrix = "rowmajor"), path)
  cat("wrote", path, "\n")
}
