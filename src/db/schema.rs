//! The one portable schema shared by both backends (see migrations/sqlite and migrations/postgres).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        sessions_valid_after -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        all_sites -> Bool,
        language -> Text,
        password_set_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sites (code) {
        code -> Text,
        name -> Text,
        status -> Text,
        recruitment_target -> Nullable<Integer>,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    site_safety_contacts (site, position) {
        site -> Text,
        position -> Integer,
        user_id -> Text,
    }
}

diesel::table! {
    user_sites (user_id, site) {
        user_id -> Text,
        site -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    protocol_versions (version) {
        version -> Integer,
        study_code -> Text,
        content -> Text,
        content_sha256 -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        reason -> Text,
        randomisation_algorithm -> Text,
    }
}

diesel::table! {
    study_state (id) {
        id -> Integer,
        randomisation_started_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        changes -> Text,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
        keyed_from_seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        dedupe_key -> Text,
        kind -> Text,
        recipient_kind -> Text,
        recipient_id -> Text,
        language -> Text,
        payload -> Text,
        status -> Text,
        due_at -> Timestamp,
        claimed_at -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    screenings (id) {
        id -> Text,
        screened_at -> Timestamp,
        referral_source -> Text,
        answers -> Text,
        eligible -> Bool,
        failed_criteria -> Text,
        outcome -> Text,
        outcome_reason -> Nullable<Text>,
        protocol_version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        site -> Text,
    }
}

diesel::table! {
    participants (id) {
        id -> Text,
        study_id -> Text,
        number -> Integer,
        screening_id -> Text,
        strata -> Text,
        race -> Text,
        ethnicity -> Text,
        sex -> Text,
        age_band -> Text,
        newly_diagnosed -> Bool,
        disease_course -> Text,
        preferred_language -> Text,
        enrolled_at -> Timestamp,
        enrolled_by -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawal_reason -> Nullable<Text>,
        withdrawal_keep_data -> Nullable<Bool>,
        site -> Text,
        time_zone -> Nullable<Text>,
        allocated_arm -> Nullable<Text>,
        current_phase -> Nullable<Text>,
    }
}

diesel::table! {
    participant_contacts (participant_id) {
        participant_id -> Text,
        full_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        email_key -> Nullable<Text>,
        phone_key -> Nullable<Text>,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        participant_id -> Text,
        form_version -> Text,
        signature_name -> Text,
        signed_at -> Timestamp,
        witness_user_id -> Nullable<Text>,
        language -> Text,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        content_hash -> Nullable<Text>,
    }
}

diesel::table! {
    allocations (participant_id) {
        participant_id -> Text,
        seq -> BigInt,
        arm_id -> Text,
        stratum -> Text,
        stratum_index -> Integer,
        method -> Text,
        algorithm -> Text,
        protocol_version -> Integer,
        allocated_at -> Timestamp,
        allocated_by -> Nullable<Text>,
        site -> Text,
        slot -> Nullable<Integer>,
    }
}

diesel::table! {
    unblindings (id) {
        id -> Text,
        participant_id -> Text,
        user_id -> Text,
        reason -> Text,
        unblinded_at -> Timestamp,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        created_at -> Timestamp,
        audience -> Text,
        kind -> Text,
        message -> Text,
        entity -> Text,
        entity_id -> Text,
    }
}

diesel::joinable!(participants -> screenings (screening_id));
diesel::joinable!(participant_contacts -> participants (participant_id));
diesel::joinable!(consents -> participants (participant_id));
diesel::joinable!(allocations -> participants (participant_id));

diesel::table! {
    support_groups (id) {
        id -> Text,
        name -> Text,
        arm_id -> Text,
        moderator_id -> Text,
        language -> Text,
        affinity_tags -> Text,
        capacity -> Integer,
        min_size -> Integer,
        weekday -> Integer,
        local_time -> Text,
        time_zone -> Text,
        start_date -> Text,
        status -> Text,
        launched_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        meeting_url -> Nullable<Text>,
    }
}

diesel::table! {
    group_members (participant_id) {
        participant_id -> Text,
        group_id -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    group_sessions (id) {
        id -> Text,
        group_id -> Text,
        number -> Integer,
        starts_at -> Timestamp,
        minutes -> Integer,
        status -> Text,
        status_reason -> Nullable<Text>,
    }
}

diesel::table! {
    attendance (session_id, participant_id) {
        session_id -> Text,
        participant_id -> Text,
        status -> Text,
        minutes -> Nullable<Integer>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    participant_phases (participant_id, phase) {
        participant_id -> Text,
        phase -> Text,
        started_on -> Text,
        ended_on -> Nullable<Text>,
    }
}

diesel::joinable!(group_members -> support_groups (group_id));
diesel::joinable!(group_members -> participants (participant_id));
diesel::joinable!(group_sessions -> support_groups (group_id));
diesel::joinable!(attendance -> group_sessions (session_id));

diesel::table! {
    assessments (id) {
        id -> Text,
        participant_id -> Text,
        timepoint -> Text,
        instruments -> Text,
        anchor -> Text,
        target_date -> Nullable<Text>,
        opens_at -> Nullable<Timestamp>,
        closes_at -> Nullable<Timestamp>,
        status -> Text,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        entered_by -> Nullable<Text>,
    }
}

diesel::table! {
    responses (assessment_id, instrument, item) {
        assessment_id -> Text,
        instrument -> Text,
        item -> Text,
        value -> Nullable<Integer>,
        answered_at -> Timestamp,
    }
}

diesel::table! {
    scores (assessment_id, instrument) {
        assessment_id -> Text,
        instrument -> Text,
        total -> Nullable<Integer>,
        prorated -> Bool,
        answered -> Integer,
        band -> Nullable<Text>,
        scored_at -> Timestamp,
    }
}

diesel::table! {
    survey_links (id) {
        id -> Text,
        participant_id -> Text,
        token_hash -> Text,
        language -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    safety_contacts (position) {
        position -> Integer,
        user_id -> Text,
    }
}

diesel::table! {
    safety_alerts (id) {
        id -> Text,
        participant_id -> Text,
        assessment_id -> Text,
        instrument -> Text,
        rule_id -> Text,
        severity -> Text,
        meaning -> Text,
        created_at -> Timestamp,
        due_at -> Timestamp,
        level -> Integer,
        status -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        action_taken -> Nullable<Text>,
        action_at -> Nullable<Timestamp>,
        action_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<Text>,
        closing_note -> Nullable<Text>,
    }
}

diesel::joinable!(assessments -> participants (participant_id));
diesel::joinable!(responses -> assessments (assessment_id));
diesel::joinable!(scores -> assessments (assessment_id));
diesel::joinable!(survey_links -> participants (participant_id));
diesel::joinable!(safety_alerts -> participants (participant_id));

diesel::joinable!(user_sites -> users (user_id));
diesel::joinable!(user_sites -> sites (site));
diesel::joinable!(participants -> sites (site));

diesel::table! {
    contact_attempts (id) {
        id -> Text,
        participant_id -> Text,
        attempted_at -> Timestamp,
        channel -> Text,
        outcome -> Text,
        note -> Nullable<Text>,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(contact_attempts -> participants (participant_id));

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        last_read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(calendar_feeds -> users (user_id));

diesel::table! {
    two_factor (user_id) {
        user_id -> Text,
        secret -> Text,
        created_at -> Timestamp,
        enabled_at -> Nullable<Timestamp>,
        last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Text,
        user_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(two_factor -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    calendar_feeds,
    contact_attempts,
    users,
    sites,
    user_sites,
    site_safety_contacts,
    api_tokens,
    protocol_versions,
    study_state,
    audit_log,
    audit_head,
    screenings,
    participants,
    participant_contacts,
    consents,
    allocations,
    unblindings,
    notices,
    support_groups,
    group_members,
    group_sessions,
    attendance,
    participant_phases,
    outbox,
    assessments,
    responses,
    scores,
    survey_links,
    safety_contacts,
    safety_alerts,
    two_factor,
    recovery_codes,
);
