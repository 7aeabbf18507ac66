//! The coordinator's desk in the browser: the participant register, screening, enrolment, the
//! participant's record and the forms that act on it. Each page calls the same services as the
//! API (`super::*`), within the user's sites, showing arms as the blinding policy says.

mod actions;
mod answers;
mod edit;
mod enrol;
mod queues;
mod record;
mod register;
mod screening;
mod withdrawal;

use actix_web::web;

/// Registers the pages. `/participants/new` comes before `/participants/{id}` so that it is not
/// read as a study id.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(enrol::enrol_form)
        .service(enrol::enrol_sent)
        .service(register::grid)
        .service(register::grid_csv)
        .service(queues::queue)
        .service(queues::attempt_form)
        .service(queues::attempt_sent)
        .service(edit::edit_form)
        .service(edit::contact_sent)
        .service(edit::details_sent)
        .service(record::record)
        .service(answers::questionnaire)
        .service(answers::entered)
        .service(answers::corrected)
        .service(actions::consent_sent)
        .service(actions::consent_voided)
        .service(actions::randomise_form)
        .service(actions::randomise_sent)
        .service(actions::allocation)
        .service(withdrawal::withdraw_form)
        .service(withdrawal::withdraw_sent)
        .service(withdrawal::link_made)
        .service(withdrawal::invitation_sent)
        .service(withdrawal::link_revoked)
        .service(screening::screen_form)
        .service(screening::screen_sent)
        .service(screening::screening_log)
        .service(screening::screening_csv)
        .service(screening::correct_form)
        .service(screening::correct_sent)
        .service(screening::screening_result);
}
