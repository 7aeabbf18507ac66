//! One participant's visit to one assessment: which questions it asks (conditional ones
//! depending on the answers so far), where to resume, and how far along it is.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::assessments::responses;
use crate::assessments::{self, Assessment};
use crate::db::DbConn;
use crate::instruments::Library;
use crate::instruments::scoring::Answers;
use crate::instruments::{self, Instrument, Item};
use crate::service_error::ServiceError;

/// One participant's visit: an assessment with its instruments and the answers so far.
pub(super) struct Visit {
    pub a: Assessment,
    instruments: Vec<Arc<Instrument>>,
    pub answers: BTreeMap<String, Answers>,
}

impl Visit {
    pub fn load(
        c: &mut DbConn,
        library: &Library,
        participant_id: &str,
        assessment_id: &str,
    ) -> Result<Option<Visit>, ServiceError> {
        match assessments::find(c, assessment_id)?.filter(|a| a.participant_id == participant_id) {
            Some(a) => Ok(Some(Visit::of(c, library, a)?)),
            None => Ok(None),
        }
    }

    /// The visit to an assessment already loaded (and known to be the participant's).
    pub fn of(c: &mut DbConn, library: &Library, a: Assessment) -> Result<Visit, ServiceError> {
        let instruments = responses::instruments_of(library, &a)?;
        let answers = responses::answers(c, &a.id)?;
        Ok(Visit { a, instruments, answers })
    }

    /// Every item of the visit, in order (positions are stable: they are the URLs' numbers).
    pub fn items(&self) -> Vec<(&Instrument, &Item)> {
        instruments::visit_items(&self.instruments)
    }

    pub fn answer(&self, inst: &str, item: &str) -> Option<Option<i32>> {
        self.answers.get(inst).and_then(|a| a.get(item)).copied()
    }

    /// Whether an item is asked, given the answers so far (conditional items depend on them).
    pub fn asks(&self, inst: &Instrument, item: &Item) -> bool {
        let Some(threshold) = &item.show_if_any_scored_above else { return true };
        inst.scored_items().any(|s| {
            self.answer(inst.id(), s.id.get_ref()).flatten().is_some_and(|v| v > *threshold.get_ref())
        })
    }

    /// Positions (0-based) of the items asked.
    pub fn asked(&self) -> Vec<usize> {
        self.items().iter().enumerate().filter(|(_, (i, it))| self.asks(i, it)).map(|(n, _)| n).collect()
    }

    /// Where to carry on: the first asked item not yet answered, else the review.
    pub fn resume_at(&self, token: &str) -> String {
        let items = self.items();
        match self
            .asked()
            .into_iter()
            .find(|&n| self.answer(items[n].0.id(), items[n].1.id.get_ref()).is_none())
        {
            Some(n) => format!("/s/{token}/a/{}/q/{}", self.a.id, n + 1),
            None => format!("/s/{token}/a/{}/review", self.a.id),
        }
    }

    pub fn answered_count(&self) -> usize {
        let items = self.items();
        self.asked()
            .into_iter()
            .filter(|&n| self.answer(items[n].0.id(), items[n].1.id.get_ref()).is_some())
            .count()
    }
}
