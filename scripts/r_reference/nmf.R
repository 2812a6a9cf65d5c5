# NMF rank-survey reference on nmf_planted (c): cophenetic correlation (Brunet 2004) and
# dispersion (Kim & Park 2007) of the consensus matrix over nrun = 30 brunet runs per rank.
# The NMF package clusters the COLUMNS of its input (samples = columns). Two orientations:
#   columns: nmf(V)    -> clusters the 25 columns of V (samples = items),
#   rows:    nmf(t(V)) -> clusters the 40 rows of V (the APG orientation: groups x items,
#                         each group assigned to argmax_p W[g, p]).
SCRIPT_NAME <- "nmf.R"
source(file.path("scripts", "r_reference", "common.R"))
suppressPackageStartupMessages(library(NMF))

SEED <- 123456L; NRUN <- 30L; RANKS <- 2:5

V <- as.matrix(read_input("nmf_planted.csv"))
dimnames(V) <- NULL

survey <- function(A) {
  res <- nmf(A, RANKS, nrun = NRUN, method = "brunet", seed = SEED,
             .options = list(parallel = FALSE, verbose = FALSE, keep.all = FALSE))
  fits <- res$fit
  coph <- unname(sapply(fits, cophcor))
  disp <- unname(sapply(fits, dispersion))
  stopifnot(isTRUE(all.equal(coph, res$measures$cophenetic)),
            isTRUE(all.equal(disp, res$measures$dispersion)))
  cons_class <- unname(lapply(fits, function(f) {
    C <- consensus(f)
    as.integer(cutree(hclust(as.dist(1 - C), method = "average"), k = nbasis(f)))
  }))
  list(n_samples = ncol(A), ranks = RANKS, cophenetic = coph, dispersion = disp,
       residuals = unname(res$measures$residuals), consensus_class = cons_class)
}

write_fixture(list(
  call = paste0("NMF::nmf(A, ", min(RANKS), ":", max(RANKS), ", nrun = ", NRUN,
                ", method = 'brunet', seed = ", SEED, ", .options = list(parallel = FALSE))",
                " with A = V (orientation 'columns') and A = t(V) (orientation 'rows')"),
  definition = paste(
    "For each rank r: nrun brunet fits (KL-divergence multiplicative updates, NMF defaults)",
    "from seeded random starts. Each fit assigns sample s (a column of A) to",
    "argmax_p H[p, s]; its connectivity C[s,t] = 1 if s and t get the same factor;",
    "consensus = mean connectivity over the nrun fits (n x n, diagonal 1).",
    "cophenetic = NMF::cophcor = Pearson cor between as.dist(1 - consensus) and the",
    "cophenetic distances of hclust(as.dist(1 - consensus), 'average'), over pairs i<j",
    "(returns 1 when the consensus is exactly block-diagonal 0/1 with all off-blocks 0).",
    "dispersion = NMF::dispersion = sum over ALL n^2 entries (diagonal included) of",
    "4 (consensus - 1/2)^2, divided by n^2. residuals = final KL divergence of the best run",
    "(orientation only). consensus_class = cutree(hclust(1 - consensus, 'average'), r).",
    "Random: compare with a tolerance; the planted rank is 3 in both orientations."),
  input = "inputs/nmf_planted.csv",
  ranks = RANKS, nrun = NRUN, method = "brunet", seed = SEED,
  orientations = list(columns = survey(V), rows = survey(t(V)))
), "nmf_rank.json", pkgs = "NMF")
