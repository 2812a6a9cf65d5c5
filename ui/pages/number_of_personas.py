"""Number of personas: each criterion's curve over k and the k it picks, and how stable that number is
(for a method that finds k itself, how stable the number it finds is)."""

import streamlit as st

from persona_lab import charts
from persona_lab.assess.criteria import label as criterion_label
from persona_lab.assess.select import REFERENCE_NAMES, RULE, RULE_LABEL, default_reference
from persona_lab.assess.stability import LABELS as STABILITY_LABELS
from ui import analyses, runs, state, views
from ui.dataset import require_dataset
from ui.state import K_MIN, k_is_output, method_label
from ui.views import md

st.title("Number of personas")
loaded = require_dataset()
method, _, seed = state.sidebar_choice()
label = method_label(method)


def criteria_section(loaded, method: str, seed: int, label: str) -> tuple[tuple, float | None]:
    """Each criterion's curve over the chosen range of k and the vote; returns that range and the
    smallest segment share allowed."""
    st.slider(
        "Range of k", min_value=K_MIN, max_value=(high := state.k_max(loaded.dataset)), step=1,
        **state.bind_k("nk_range", high)
    )
    low, high = st.session_state["nk_range"]
    k_values = state.nk_k_values()
    if len(k_values) < 2:
        st.info("Choose a range of at least two values of k.")
        st.stop()
    st.number_input(
        "Smallest segment share worth a persona (%)", min_value=0.0, max_value=50.0, step=0.5,
        help="A k whose solution has a smaller segment is marked and left out of the vote (a business limit).",
        **state.bind("nk_min_share"),
    )
    min_share = state.min_share()
    st.caption(f"{label}, seed {seed}: one fit per k on {md(loaded.dataset.name)}, reused by every criterion.")

    found = analyses.obtain([analyses.curves(loaded, method, k_values, seed, min_share)],
                            title=f"Fitting {label} for k = {low}..{high}", button="Compute the criteria",
                            help="A large matrix: the fits run on the server as a job, kept in the workspace.")
    if found is None:
        return k_values, min_share
    [curves] = found

    if curves.table.empty:
        st.info(f"No criterion of k applies to {label}.")
        st.stop()

    labels = {c: criterion_label(c) for c in curves.table["criterion"].unique()}
    counted = curves.votes[curves.votes["counted"]] if not curves.votes.empty else curves.votes
    if curves.vote is not None:
        st.markdown(
            f"**The criteria's vote: k = {curves.vote}**: {curves.tally.get(curves.vote, 0)} of "
            f"{len(counted)} criteria with a pick agree. The recommendation comes from the stability "
            "assessment below: the most reproducible k, when it is more stable than structure-free data."
        )
    else:
        st.markdown("**No criterion picks a k** in this range.")
    for k, why in sorted(curves.marked.items()):
        st.warning(f"k = {k}: {md(why)}", icon=":material/warning:")

    st.altair_chart(charts.criterion_curve(curves.table, curves.picks, labels))
    st.caption(
        "A red point marks each criterion's pick; a monotone curve (inertia, reconstruction error) picks "
        "through its elbow (Kneedle). Resampling stability of the pick comes below."
    )
    votes = curves.votes.assign(criterion=curves.votes["criterion"].map(criterion_label))
    st.dataframe(votes, hide_index=True, width="stretch")
    return k_values, min_share


headline = st.empty()  # the one-sentence answer, once the stability has been assessed
if k_is_output(method):
    # No curve over k to draw: the question left is how stable the number it finds is.
    k_values, min_share = (), None
    st.info(f"{label} finds the number of personas itself, so no criterion compares values of k. Below: "
            "how often resamples of the rows give it the same number, and how stable its personas are.",
            icon=":material/info:")
else:
    k_values, min_share = criteria_section(loaded, method, seed, label)

# -- how stable is the number? --------------------------------------------------------------------

st.divider()
st.header("How stable is that number?")
reference = REFERENCE_NAMES[default_reference(loaded.dataset.kind)]
st.caption(
    (f"{label} is re-fitted on bootstrap resamples of the rows; how often each number of personas comes out "
     "is P(k_hat = k)" if not k_values else
     "The rule (the most reproducible k, when stable) and every criterion's rule are re-run on bootstrap "
     "resamples of the rows, giving P(k_hat = k)")
    + "; bootstrap ARI, Jaccard, prediction strength and PAC are compared with the same statistics on "
    f"structure-free reference data ({reference})."
)
left, right = st.columns(2)
left.slider("Resamples", min_value=10, max_value=200, step=10, **state.bind("nk_resamples"))
right.slider("Structure-free reference sets", min_value=0, max_value=100, step=5, **state.bind("nk_references"),
             help="0 skips the null band; then nothing tells whether there is any structure at all.")
if runs.has_starts(method):
    st.checkbox("One start per resample fit (about 2.5x faster with k-means)", **state.bind("nk_one_start"),
                help="As fpc's clusterboot and ConsensusClusterPlus do. Faster, but the optimiser's run-to-run "
                     "variation then counts as instability: a split that the method's own starts find every "
                     "time can look unstable. Off: each resample is fitted as the full data is.")
key = runs.selection_key(loaded, method, k_values, seed, min_share)
found = analyses.obtain([analyses.selection(loaded, key)], title="Assessing stability", button="Assess stability",
                        help="Runs on the server as a job: it goes on while you use other pages, and its result is kept "
                             "in the workspace for these data and settings.")
if found is None:
    st.stop()
[selection] = found

headline.markdown(f"### {md(selection.headline)}")
(st.success if selection.recommended_k > 1 else st.warning)(md(selection.statement))
cols = st.columns(3)
cols[0].metric("Recommended number of personas", selection.recommended_k)
cols[1].metric("Its probability over resamples",
               "—" if selection.recommended_k == 1 else views.percent(selection.recommended_probability))
cols[2].metric("k values holding 90%", ", ".join(map(str, selection.k_set_90)))
for note in selection.notes:
    st.info(md(note), icon=":material/info:")
if selection.rule.get("criteria"):
    shown = "; ".join(f"{criterion_label(c)} ({why})" for c, why in selection.rule["full_data_only"].items())
    st.caption("The rule, on the full data and on every resample alike: the most reproducible k (the highest "
               "bootstrap ARI, Fang & Wang 2012) when it is more stable than structure-free data, else 1. The "
               "recommendation is 1 when at least half of the resamples answer 1, else the rule's answer on the "
               "full data (ARI averaged over every pair of resamples). Every "
               "criterion's pick is shown beside it; their majority vote among stable k "
               f"(k = {selection.rule['criteria_vote']} on the full data) does not decide, because on APG matrices "
               "with planted behaviours it missed the planted number where the most reproducible k found it "
               "(benchmarks/results/calibration.md)." + (f" Shown on the full data only: {shown}." if shown else ""))
if selection.rule.get("unstable"):
    st.caption("Not more stable than structure-free data, so never the answer: "
               f"k = {', '.join(map(str, selection.rule['unstable']))}.")
for k, why in selection.rule.get("limits", {}).items():
    st.caption(f"k = {k} is never the answer: {why}.")

p = selection.p_k_hat()
if not p.empty:
    st.subheader("P(k_hat = k): each criterion's pick over resamples")
    rule_name = RULE_LABEL if k_values else f"{label}'s own number"
    names = {c: (rule_name if c == RULE else criterion_label(c)) for c in p["criterion"].unique()}
    st.altair_chart(charts.k_hat_heatmap(p, names), width="stretch")
if selection.null is not None:
    st.subheader("Stability per k against the null band")
    st.altair_chart(charts.stability_bands(selection.null, STABILITY_LABELS))
    st.caption(f"Grey: 5-95% of the statistic on structure-free reference sets, each resampled "
               f"{selection.stability.compared_resamples} times; the points are the data's statistic over as many "
               "resamples (its first ones), so both sides mean the same. Red points beat the band (family-wise over "
               "k); PAC and delta area: lower is more stable.")
if selection.survival is not None and selection.recommended_k > 1:
    st.subheader(f"Persona survival at k = {selection.recommended_k}")
    found = analyses.persona_runs(loaded, [(method, selection.recommended_k)], seed)
    names = {p.id: p.name for p in found[0].personas.personas} if found else {}
    survival = selection.survival.assign(persona=lambda f: f["persona_id"].map(names).fillna(f["persona_id"].astype(str)))
    st.dataframe(views.survival_styled(survival[["persona", "survival", "jaccard", "band"]]), hide_index=True,
                 column_config={"survival": st.column_config.ProgressColumn("recovered (Jaccard > 0.75)",
                                                                            format="percent", min_value=0, max_value=1)})
    st.caption("Bands as fpc's clusterboot reads mean Jaccard: below 0.6 unstable, 0.6-0.75 doubtful, "
               "0.75-0.85 stable, above highly stable.")
cdf = selection.stability.consensus_cdf
if not cdf.empty:
    st.subheader("Consensus CDF")
    st.altair_chart(charts.consensus_cdf(cdf), width="stretch")
    st.caption(f"Over a fixed sample of {selection.stability.item_sample_size:,} rows. A crisp, stable "
               "partition climbs at 0 and 1 and stays flat between (low PAC).")
if selection.periods is not None:
    st.subheader("Personas per period")
    st.dataframe(selection.periods.table(), hide_index=True, width="stretch")
