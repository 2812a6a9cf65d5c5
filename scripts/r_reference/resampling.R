# Random-resampling references (compare with a tolerance): fpc::clusterboot and
# fpc::prediction.strength on blobs_separated (a) and blobs_overlap (b).
SCRIPT_NAME <- "resampling.R"
source(file.path("scripts", "r_reference", "common.R"))
suppressPackageStartupMessages(library(fpc))

SEED <- 20240611L; B_BOOT <- 200L; M_PS <- 50L; RUNS <- 10L

boot_one <- function(file) {
  X <- xy(read_input(file))
  cb <- clusterboot(X, B = B_BOOT, bootmethod = "boot", clustermethod = kmeansCBI,
                    krange = 3, runs = RUNS, seed = SEED, count = FALSE)
  list(input = paste0("inputs/", file),
       partition = as.integer(cb$partition),
       centers = unname(cb$result$result$centers),
       bootmean = unname(cb$bootmean), bootbrd = unname(cb$bootbrd),
       bootrecover = unname(cb$bootrecover),
       bootresult_sd = unname(apply(cb$bootresult, 1, sd)))
}

ps_one <- function(file) {
  X <- xy(read_input(file))
  set.seed(SEED)
  ps <- prediction.strength(X, Gmin = 2, Gmax = 6, M = M_PS, clustermethod = kmeansCBI,
                            classification = "centroid", cutoff = 0.8, runs = RUNS)
  list(input = paste0("inputs/", file), k = 1:6,
       mean.pred = ps$mean.pred, optimalk = ps$optimalk,
       sd.pred = c(NA, sapply(2:6, function(k) sd(ps$predcorr[[k]]))))
}

files <- c("blobs_separated.csv", "blobs_overlap.csv")
cbres <- list(); psres <- list()
for (f in files) {
  nm <- sub("\\.csv$", "", f)
  cbres[[nm]] <- boot_one(f)
  psres[[nm]] <- ps_one(f)
}

write_fixture(list(
  call = paste0("fpc::clusterboot(X, B = ", B_BOOT, ", bootmethod = 'boot', clustermethod = ",
                "kmeansCBI, krange = 3, runs = ", RUNS, ", seed = ", SEED, ")"),
  definition = paste(
    "Original clustering: kmeansCBI (best of runs kmeans starts, iter.max = 100) with k = 3",
    "(partition, centers). For each of B bootstrap samples: draws = sample(n, n, replace=TRUE),",
    "bsamp = unique(draws), recluster data[bsamp, ] with k = 3; per original cluster j the",
    "Jaccard is max_k clujaccard((orig == j)[bsamp], boot == k) (see exact_clusterboot.json).",
    "bootmean = mean over B; bootbrd = #(<= 0.5); bootrecover = #(> 0.75); bootresult_sd = sd",
    "over B (for a tolerance: the Monte Carlo SE of bootmean is bootresult_sd / sqrt(B)).",
    "Clusters are in the order of 'partition' labels 1..3 (match by partition, not by index)."),
  B = B_BOOT, k = 3L, runs = RUNS, seed = SEED, dissolution = 0.5, recover = 0.75,
  datasets = cbres
), "clusterboot.json", pkgs = "fpc")

write_fixture(list(
  call = paste0("set.seed(", SEED, "); fpc::prediction.strength(X, Gmin = 2, Gmax = 6, M = ",
                M_PS, ", clustermethod = kmeansCBI, classification = 'centroid', ",
                "cutoff = 0.8, runs = ", RUNS, ")"),
  definition = paste(
    "For each k and each of M splits: a random permutation, first floor(n/2) points = half 1,",
    "rest = half 2; each half clustered with kmeansCBI(k); each half's points classified to the",
    "nearest centroid of the other half's clustering; per half, ps = min over its clusters of",
    "the pair-agreement ratio (see exact_prediction_strength.json); corrpred = mean of the two",
    "halves' ps; mean.pred[k] = mean over M (mean.pred[1] = 1 by convention).",
    "optimalk = max k with mean.pred[k] > cutoff (strict). sd.pred = sd of corrpred over M",
    "(Monte Carlo SE of mean.pred = sd.pred / sqrt(M))."),
  Gmax = 6L, M = M_PS, cutoff = 0.8, runs = RUNS, seed = SEED,
  datasets = psres
), "prediction_strength.json", pkgs = "fpc")
