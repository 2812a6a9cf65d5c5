# Exact, deterministic statistics on the hand-made inputs of make_inputs.py (part e).
# Every number here is a pure function of the inputs (no random numbers), computed with the
# packages' own internal functions where they exist, so a Python implementation must match
# them to floating-point precision.
SCRIPT_NAME <- "exact_statistics.R"
source(file.path("scripts", "r_reference", "common.R"))
suppressPackageStartupMessages({
  library(fpc)
  library(ConsensusClusterPlus)
})

# ---------------------------------------------------------------------------------------------
# (e1) Jaccard between clusters of two partitions: fpc::clujaccard(a == i, b == j, zerobyzero=0)
jp <- read_input("jaccard_partitions.csv")
ka <- sort(unique(jp$a)); kb <- sort(unique(jp$b))
J <- matrix(NA_real_, length(ka), length(kb))
for (i in seq_along(ka)) for (j in seq_along(kb))
  J[i, j] <- clujaccard(jp$a == ka[i], jp$b == kb[j], zerobyzero = 0)
write_fixture(list(
  definition = paste(
    "jaccard[i][j] = fpc::clujaccard(a == i, b == j, zerobyzero = 0) =",
    "|A_i & B_j| / (|A_i| + |B_j| - |A_i & B_j|); rows = clusters of a (1..3),",
    "columns = clusters of b (1..4); best_match_a[i] = max_j jaccard[i][j]."),
  input = "inputs/jaccard_partitions.csv",
  labels_a = ka, labels_b = kb,
  jaccard = J,
  best_match_a = apply(J, 1, max)
), "exact_jaccard.json", pkgs = "fpc")

# ---------------------------------------------------------------------------------------------
# (e2) clusterboot's per-cluster Jaccard for given bootstrap draws and given clusterings,
# replicating fpc::clusterboot(bootmethod = "boot", multipleboot = FALSE):
#   bsamp <- unique(draws)                       # duplicates removed BEFORE clustering
#   bc1   <- clustering of data[bsamp, ]         # here: the given labels, first occurrence
#   bootresult[j, b] <- max(0, max_k clujaccard(c1 == j [bsamp], bc1 == k, zerobyzero = 0))
#   bootmean = rowMeans(bootresult); bootbrd = rowSums(bootresult <= 0.5);
#   bootrecover = rowSums(bootresult > 0.75)
bo <- read_input("boot_original.csv")
bs <- read_input("boot_samples.csv")
c1 <- bo$label[order(bo$item)]
nc <- max(c1)
boots <- sort(unique(bs$boot))
bootresult <- matrix(0, nrow = nc, ncol = length(boots))
per_boot <- list()
for (bi in seq_along(boots)) {
  d <- bs[bs$boot == boots[bi], ]
  d <- d[order(d$position), ]
  draws <- d$item + 1L                     # 1-based, with duplicates, in draw order
  keep <- !duplicated(draws)
  bsamp <- draws[keep]                     # == unique(draws)
  bc <- d$label[keep]                      # clustering of data[bsamp, ]
  stopifnot(all(tapply(d$label, d$item, function(z) length(unique(z))) == 1))
  for (j in 1:nc) {
    maxgamma <- 0
    for (k in 1:max(bc)) {
      cg <- clujaccard((c1 == j)[bsamp], bc == k, zerobyzero = 0)
      if (cg > maxgamma) maxgamma <- cg
    }
    bootresult[j, bi] <- maxgamma
  }
  per_boot[[bi]] <- list(boot = boots[bi], n_unique = length(bsamp), k_boot = max(bc),
                         jaccard = bootresult[, bi])
}
write_fixture(list(
  definition = paste(
    "fpc::clusterboot(bootmethod='boot', multipleboot=FALSE) inner step on fixed draws:",
    "bsamp = unique(draws) (first occurrences, duplicates removed before clustering);",
    "bootresult[j,b] = max(0, max_k clujaccard((orig==j)[bsamp], boot_label==k, zerobyzero=0));",
    "bootmean = mean over b; bootbrd = #(bootresult <= 0.5) (dissolved);",
    "bootrecover = #(bootresult > 0.75) (recovered)."),
  inputs = c("inputs/boot_original.csv", "inputs/boot_samples.csv"),
  dissolution = 0.5, recover = 0.75,
  bootresult = bootresult,
  bootmean = rowMeans(bootresult),
  bootbrd = rowSums(bootresult <= 0.5),
  bootrecover = rowSums(bootresult > 0.75),
  per_boot = per_boot
), "exact_clusterboot.json", pkgs = "fpc")

# ---------------------------------------------------------------------------------------------
# (e3) consensus matrix, consensus CDF, PAC and CCP's area / delta area, using
# ConsensusClusterPlus's own internal functions (connectivityMatrix, triangle).
cs <- read_input("consensus_subsamples.csv")
n_items <- max(cs$item) + 1L
ml <- mCount <- matrix(0, n_items, n_items)
for (h in sort(unique(cs$subsample))) {
  d <- cs[cs$subsample == h, ]
  key <- d$item + 1L
  mCount <- ConsensusClusterPlus:::connectivityMatrix(rep(1, length(key)), mCount, key)
  ml <- ConsensusClusterPlus:::connectivityMatrix(d$label, ml, key)
}
tmp <- ConsensusClusterPlus:::triangle(ml, mode = 3)
tmpCount <- ConsensusClusterPlus:::triangle(mCount, mode = 3)
M <- tmp / tmpCount
M[which(tmpCount == 0)] <- 0
v <- ConsensusClusterPlus:::triangle(M, mode = 1)     # strict lower triangle, column-major
grid <- (0:100) / 100
Fn <- ecdf(v)
cdf <- Fn(grid)
pac <- Fn(0.9) - Fn(0.1)
# ConsensusClusterPlus:::CDF's histogram CDF and area (breaks = 100)
hh <- hist(v, plot = FALSE, breaks = seq(0, 1, by = 1 / 100))
hcdf <- cumsum(hh$counts) / sum(hh$counts)
area <- 0
for (bi in 1:(length(hh$breaks) - 1)) area <- area + hcdf[bi] * (hh$breaks[bi + 1] - hh$breaks[bi])
stopifnot(isTRUE(all.equal(hcdf, cdf[-1])))
write_fixture(list(
  definition = paste(
    "M[i,j] = (#subsamples with i and j both sampled and in the same cluster) /",
    "(#subsamples with i and j both sampled); 0 where never sampled together; diag = 1.",
    "Values = strict lower triangle of M (n(n-1)/2 entries). cdf[g] = ecdf(values)(grid[g]) =",
    "fraction of values <= grid[g], grid = (0:100)/100 computed by division.",
    "pac = ecdf(0.9) - ecdf(0.1) = fraction of values in (0.1, 0.9].",
    "ccp_area = ConsensusClusterPlus:::CDF area = sum_{i=1..100} 0.01 * F(i/100) where F is",
    "hist(values, breaks=seq(0,1,by=0.01)) cumulative counts (right-closed bins)."),
  input = "inputs/consensus_subsamples.csv",
  n_items = n_items,
  n_subsamples = length(unique(cs$subsample)),
  together = ml, sampled_together = mCount,
  consensus_matrix = M,
  lower_triangle_values = v,
  n_values_at_0.1 = sum(v == 0.1), n_values_at_0.9 = sum(v == 0.9),
  grid = grid, cdf = cdf,
  pac_lower = 0.1, pac_upper = 0.9, pac = pac,
  ccp_area = area
), "exact_consensus.json", pkgs = "ConsensusClusterPlus")

# ---------------------------------------------------------------------------------------------
# (e4) prediction strength on a fixed half split with fixed labels, replicating the inner
# loop of fpc::prediction.strength (classification = "centroid"):
#   for i in 1:2 (half i is the "test" set, half 3-i the "training" set):
#     classifications[[i]] = fpc::classifnp(x, jclusterings[[3-i]], "centroid")[half i]
#       (nearest centroid, Euclidean; centroids = means of half 3-i's clusters)
#     ctable = fpc:::xtable(labels of half i, classifications[[i]], k)
#     ps[i, kk] = sum_j (ctable[kk,j]^2 - ctable[kk,j]) / (n_kk (n_kk - 1)),  1 if n_kk <= 1
#   corrpred = mean(min(ps[1, ]), min(ps[2, ]))
px <- as.matrix(read_input("ps_data.csv"))
sp <- read_input("ps_split.csv")
n <- nrow(px)
k <- max(sp$label)
halves <- list(sp$item[sp$half == 1] + 1L, sp$item[sp$half == 2] + 1L)
labs <- list(sp$label[sp$half == 1], sp$label[sp$half == 2])
stopifnot(length(halves[[1]]) == floor(n / 2))
jcl <- list()
for (i in 1:2) { jcl[[i]] <- rep(-1, n); jcl[[i]][halves[[i]]] <- labs[[i]] }
classif <- list(); cents <- list(); ctabs <- list()
for (i in 1:2) {
  j <- 3 - i
  cents[[i]] <- t(sapply(1:k, function(g) colMeans(px[jcl[[i]] == g, , drop = FALSE])))
  classif[[j]] <- classifnp(px, jcl[[i]], method = "centroid")[halves[[j]]]
}
ps <- matrix(0, 2, k)
for (i in 1:2) {
  ctable <- fpc:::xtable(labs[[i]], classif[[i]], k)
  ctabs[[i]] <- unclass(ctable)
  for (kk in 1:k) {
    ps[i, kk] <- sum(ctable[kk, ]^2 - ctable[kk, ])
    nik <- sum(labs[[i]] == kk)
    ps[i, kk] <- if (nik > 1) ps[i, kk] / (nik * (nik - 1)) else 1
  }
}
halves_out <- lapply(1:2, function(i) list(
  half = i, test_items = halves[[i]] - 1L, test_labels = labs[[i]],
  training_centroids = cents[[3 - i]],
  predicted_labels = classif[[i]],
  contingency = ctabs[[i]],
  ps_per_cluster = ps[i, ], ps_min = min(ps[i, ])))
write_fixture(list(
  definition = paste(
    "Half i is clustered (test_labels); the other half's cluster centroids (column means",
    "of its labelled points) classify half i's points to the nearest centroid (Euclidean),",
    "giving predicted_labels. contingency[kk][j] = #test points with test label kk and",
    "predicted label j. ps[kk] = sum_j n_kk,j (n_kk,j - 1) / (n_kk (n_kk - 1)) (ordered pairs",
    "of distinct points of test cluster kk that the training centroids also put together,",
    "over all such pairs; 1 when n_kk <= 1). ps_min = min over kk. fpc's statistic for one",
    "split is corrpred = mean(ps_min of half 1, ps_min of half 2); prediction.strength's",
    "mean.pred[k] averages corrpred over M random splits. Items 0-based; labels 1..k."),
  inputs = c("inputs/ps_data.csv", "inputs/ps_split.csv"),
  k = k,
  halves = halves_out,
  corrpred = mean(c(min(ps[1, ]), min(ps[2, ])))
), "exact_prediction_strength.json", pkgs = "fpc")
