//! The report's methods paragraph (CONSORT item 12), written from what was run: the models fitted,
//! their covariates, the degrees-of-freedom method, which model is primary and why, and the
//! software with its version. Nothing in it is true only of the bundled study.

use trialdesk_analysis::{DfMethod, PrimaryModel};

use super::Report;
use crate::i18n::Tr;

pub fn sentences(tr: &Tr, report: &Report) -> Vec<String> {
    let mut out = vec![tr.t("report-methods-descriptives")];
    if let Some(summary) = &report.outcomes {
        let options = &summary.options;
        let covariates: String = options.covariates.iter().map(|c| format!(" + {c}")).collect();
        let fitted = |has: &dyn Fn(&trialdesk_analysis::InstrumentSummary) -> bool| {
            summary.instruments.values().any(has)
        };
        out.push(tr.args("report-methods-ancova", &[("covariates", &covariates)]));
        if fitted(&|i| i.mmrm.as_ref().is_some_and(|m| m.converged)) {
            out.push(tr.args("report-methods-mmrm", &[("covariates", &covariates)]));
        }
        if fitted(&|i| i.mixed_model.is_some()) {
            let groups = if fitted(&|i| i.mixed_model.as_ref().is_some_and(|m| m.n_groups.is_some())) {
                "yes"
            } else {
                "no"
            };
            let df = match options.mixed_df {
                DfMethod::KenwardRoger if groups == "no" => DfMethod::KenwardRoger,
                _ => DfMethod::Satterthwaite,
            };
            out.push(tr.args(
                "report-methods-mixed",
                &[("covariates", &covariates), ("groups", &groups), ("df", &df.name())],
            ));
        }
        out.push(tr.t("report-methods-effect-sizes"));
        out.push(match (options.primary_model, summary.primary_model) {
            (None, PrimaryModel::Mixed) => tr.t("report-methods-primary-groups"),
            (None, _) => tr.t("report-methods-primary-mmrm"),
            (Some(_), model) => {
                let name = match model {
                    PrimaryModel::Mmrm => "mmrm",
                    PrimaryModel::Mixed => "mixed",
                    PrimaryModel::Ancova => "ancova",
                };
                tr.args("report-methods-primary-chosen", &[("model", &name)])
            }
        });
    }
    out.push(tr.args("report-methods-software", &[("version", &env!("CARGO_PKG_VERSION"))]));
    out
}
