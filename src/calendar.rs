//! Session dates: weekly (or every `interval_days`) at a wall-clock time in the group's time zone,
//! stored in UTC. Pure functions, so daylight-saving edges are unit-tested here.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The UTC instant of a wall-clock time on a date in `tz`. In a spring-forward gap the time does
/// not exist, so the session moves to the same wall time an hour later; in a fall-back overlap the
/// earlier of the two instants is taken.
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    let resolved = match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(earliest, _) => Some(earliest),
        LocalResult::None => tz.from_local_datetime(&(local + Duration::hours(1))).earliest(),
    };
    resolved.map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

/// The first `weekday` on or after `from`.
pub fn first_on_or_after(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead =
        (7 + weekday.num_days_from_monday() as i64 - from.weekday().num_days_from_monday() as i64) % 7;
    from + Duration::days(ahead)
}

/// `count` session start times: the first `weekday` on or after `start`, then every
/// `interval_days`, always at `time` on the wall clock of `tz`.
pub fn schedule(
    start: NaiveDate,
    weekday: Weekday,
    time: NaiveTime,
    tz: Tz,
    count: u32,
    interval_days: i64,
) -> Vec<DateTime<Utc>> {
    let first = first_on_or_after(start, weekday);
    (0..i64::from(count)).map(|i| local_to_utc(first + Duration::days(i * interval_days), time, tz)).collect()
}

/// A weekday from its number, Monday = 0.
pub fn weekday_from(n: i32) -> Option<Weekday> {
    u8::try_from(n).ok().and_then(|n| Weekday::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> Tz {
        "America/New_York".parse().expect("zone")
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn weekly_sessions_keep_their_local_time_across_the_spring_daylight_saving_change() {
        let times = schedule(
            date("2027-02-17"),
            Weekday::Tue,
            NaiveTime::from_hms_opt(18, 30, 0).expect("time"),
            ny(),
            12,
            7,
        );
        assert_eq!(times.len(), 12);
        assert_eq!(times[0].to_rfc3339(), "2027-02-23T23:30:00+00:00", "EST is UTC−5");
        assert_eq!(times[3].to_rfc3339(), "2027-03-16T22:30:00+00:00", "EDT (from 14 March) is UTC−4");
        for t in &times {
            let local = t.with_timezone(&ny());
            assert_eq!(
                (local.weekday(), local.format("%H:%M").to_string()),
                (Weekday::Tue, "18:30".to_owned())
            );
        }
    }

    #[test]
    fn sessions_keep_their_local_time_across_the_autumn_change_too() {
        let times = schedule(
            date("2027-10-25"),
            Weekday::Mon,
            NaiveTime::from_hms_opt(10, 0, 0).expect("time"),
            ny(),
            3,
            7,
        );
        let utc: Vec<String> = times.iter().map(|t| t.format("%H:%M").to_string()).collect();
        assert_eq!(utc, ["14:00", "14:00", "15:00"], "DST ends on 7 November 2027");
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_an_hour_later_and_one_in_the_autumn_overlap_takes_the_first() {
        let gap = local_to_utc(date("2027-03-14"), NaiveTime::from_hms_opt(2, 30, 0).expect("t"), ny());
        assert_eq!(gap.with_timezone(&ny()).format("%H:%M").to_string(), "03:30");
        let overlap = local_to_utc(date("2027-11-07"), NaiveTime::from_hms_opt(1, 30, 0).expect("t"), ny());
        assert_eq!(overlap.to_rfc3339(), "2027-11-07T05:30:00+00:00", "01:30 EDT, the first of the two");
    }

    #[test]
    fn the_first_session_is_on_the_first_matching_weekday_on_or_after_the_start_date() {
        assert_eq!(first_on_or_after(date("2027-02-16"), Weekday::Tue), date("2027-02-16"));
        assert_eq!(first_on_or_after(date("2027-02-17"), Weekday::Tue), date("2027-02-23"));
    }
}
