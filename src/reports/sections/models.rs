//! One instrument's model tables, in the order the analysis plan gives them: the primary model's
//! first, then the others as sensitivity analyses, each with a note on its fit.

use trialdesk_analysis::{InstrumentSummary, PrimaryModel, TEffect};

use super::{Table, num, p_value};

/// What one model adds to an outcome's section.
struct ModelTables {
    tables: Vec<Table>,
    note: Option<String>,
}

/// Every model's tables and notes for one instrument, the primary model's first.
pub(super) fn ordered(
    name: &str,
    result: &InstrumentSummary,
    primary: PrimaryModel,
    arm: &dyn Fn(&str) -> String,
    reference: &str,
) -> (Vec<Table>, Vec<String>) {
    let order = [primary].into_iter().chain(
        [PrimaryModel::Mmrm, PrimaryModel::Mixed, PrimaryModel::Ancova].into_iter().filter(|m| *m != primary),
    );
    let (mut tables, mut notes) = (Vec::new(), Vec::new());
    for model in order {
        let role = if model == primary { "Primary analysis" } else { "Sensitivity analysis" };
        let made = match model {
            PrimaryModel::Mmrm => mmrm(name, result, arm, reference),
            PrimaryModel::Mixed => mixed(name, result, arm, reference),
            PrimaryModel::Ancova => ancova(name, result, arm, reference),
        };
        tables.extend(
            made.tables.into_iter().map(|t| Table { caption: format!("{role}. {}", t.caption), ..t }),
        );
        notes.extend(made.note);
    }
    (tables, notes)
}

/// Degrees of freedom as a table shows them: ∞ where a test is on the normal distribution.
fn df(df: Option<f64>) -> String {
    df.map_or_else(|| "∞".to_string(), |d| num(Some(d), 1))
}

fn ci(low: f64, high: f64) -> String {
    format!("{} to {}", num(Some(low), 2), num(Some(high), 2))
}

/// Arm effects tested on t with their degrees of freedom.
fn effects_table(caption: String, effects: &[TEffect], arm: &dyn Fn(&str) -> String) -> Table {
    Table {
        caption,
        headers: ["Week", "Arm", "Estimate", "SE", "df", "95% CI", "p"].map(String::from).to_vec(),
        rows: effects
            .iter()
            .map(|e| {
                vec![
                    e.week.to_string(),
                    arm(&e.arm),
                    num(Some(e.estimate), 2),
                    num(Some(e.se), 3),
                    df(e.df),
                    ci(e.ci_low, e.ci_high),
                    p_value(e.p_value),
                ]
            })
            .collect(),
    }
}

fn ancova(
    name: &str,
    result: &InstrumentSummary,
    arm: &dyn Fn(&str) -> String,
    reference: &str,
) -> ModelTables {
    let table = Table {
        caption: format!(
            "{name}: ANCOVA at each week (adjusted for baseline and strata), difference from {reference}"
        ),
        headers: ["Week", "Arm", "n", "Estimate", "95% CI", "p"].map(String::from).to_vec(),
        rows: result
            .ancova
            .iter()
            .map(|e| {
                vec![
                    e.week.to_string(),
                    arm(&e.arm),
                    e.n.to_string(),
                    num(Some(e.estimate), 2),
                    ci(e.ci_low, e.ci_high),
                    p_value(e.p_value),
                ]
            })
            .collect(),
    };
    ModelTables { tables: vec![table], note: None }
}

/// The MMRM's arm effects and adjusted means; nothing from a search that did not converge (the
/// instrument's notes say why).
fn mmrm(
    name: &str,
    result: &InstrumentSummary,
    arm: &dyn Fn(&str) -> String,
    reference: &str,
) -> ModelTables {
    let Some(model) = result.mmrm.as_ref().filter(|m| m.converged) else {
        return ModelTables { tables: Vec::new(), note: None };
    };
    let effects = effects_table(
        format!(
            "{name}: MMRM (unstructured covariance over the weeks, REML), arm effect at each week, difference from {reference}"
        ),
        &model.arm_effect_by_week,
        arm,
    );
    let means = Table {
        caption: format!("{name}: MMRM adjusted means (at the mean baseline and covariates)"),
        headers: ["Week", "Arm", "Mean", "SE", "df", "95% CI"].map(String::from).to_vec(),
        rows: model
            .lsmeans
            .iter()
            .map(|m| {
                vec![
                    m.week.to_string(),
                    arm(&m.arm),
                    num(Some(m.estimate), 2),
                    num(Some(m.se), 3),
                    df(m.df),
                    ci(m.ci_low, m.ci_high),
                ]
            })
            .collect(),
    };
    let sds: Vec<String> = model
        .weeks
        .iter()
        .zip(&model.covariance)
        .enumerate()
        .map(|(i, (week, row))| format!("week {week} {}", num(Some(row[i].sqrt()), 2)))
        .collect();
    let note = format!(
        "MMRM: {} observations from {} participants; t-based intervals and tests on Satterthwaite degrees of freedom; estimated SD by week: {}.",
        model.n_obs,
        model.n_participants,
        sds.join(", ")
    );
    ModelTables { tables: vec![effects, means], note: Some(note) }
}

fn mixed(
    name: &str,
    result: &InstrumentSummary,
    arm: &dyn Fn(&str) -> String,
    reference: &str,
) -> ModelTables {
    let Some(model) = &result.mixed_model else {
        return ModelTables { tables: Vec::new(), note: None };
    };
    let table = effects_table(
        format!("{name}: mixed model (REML), arm effect at each week, difference from {reference}"),
        &model.arm_effect_by_week,
        arm,
    );
    let method = match model.arm_effect_by_week.first().map(|e| e.df_method.as_str()) {
        Some("kenward-roger") => "Kenward–Roger adjusted standard errors and degrees of freedom",
        _ => "Satterthwaite degrees of freedom",
    };
    let v = &model.variance_components;
    let note = format!(
        "Mixed model: {} observations from {} participants{}; variance between participants {}, {}residual {}; ICC {}; t-based intervals and tests on {method}.",
        model.n_obs,
        model.n_participants,
        model.n_groups.map_or(String::new(), |g| format!(" in {g} groups")),
        num(Some(v.participant), 2),
        v.group.map_or(String::new(), |g| format!("between groups {}, ", num(Some(g), 2))),
        num(Some(v.residual), 2),
        num(Some(model.icc), 2)
    );
    ModelTables { tables: vec![table], note: Some(note) }
}
