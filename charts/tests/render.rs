//! Renders every chart through the public API and checks both outputs.

use trialdesk_charts::{
    BarSeries, Bars, ChartError, ConsortArm, ConsortCounts, LineSeries, Lines, Point, Rendered, Series,
    Target, Trajectory, bars, consort, lines, trajectory,
};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Width and height from the IHDR chunk, after checking the signature and chunk order.
fn ihdr_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 33, "PNG too short");
    assert_eq!(png[..8], PNG_SIGNATURE, "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "first chunk is IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Decodes the PNG fully and returns its RGB pixels.
fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(png);
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG image decodes");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Pixels in rows `y0..y1` that are not white.
fn ink_in_rows(png: &[u8], y0: u32, y1: u32) -> usize {
    let (w, _, px) = decode(png);
    px[(y0 * w * 3) as usize..(y1 * w * 3) as usize].chunks(3).filter(|p| p != &[255, 255, 255]).count()
}

fn assert_valid(r: &Rendered, title: &str, legend: &[&str], min_size: (u32, u32)) {
    assert!(r.svg.starts_with("<svg"), "SVG document");
    assert!(r.svg.trim_end().ends_with("</svg>"), "SVG closed");
    assert!(r.svg.contains(title), "SVG contains the title {title:?}");
    for name in legend {
        assert!(r.svg.contains(name), "SVG contains the legend entry {name:?}");
    }
    let (w, h) = ihdr_size(&r.png);
    assert!(w >= min_size.0 && h >= min_size.1, "PNG is {w}x{h}");
    let (dw, dh, px) = decode(&r.png);
    assert_eq!((dw, dh), (w, h));
    assert_eq!(px.len(), (w * h * 3) as usize);
    assert!(
        r.svg.contains(&format!("width=\"{w}\"")) && r.svg.contains(&format!("height=\"{h}\"")),
        "same size"
    );
}

fn point(x: f64, mean: f64, half: f64) -> Point {
    Point { x, mean, ci_low: mean - half, ci_high: mean + half }
}

fn sample_trajectory() -> Trajectory {
    let weeks = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0];
    let arm = |name: &str, slope: f64, half: f64| Series {
        name: name.to_string(),
        points: weeks
            .iter()
            .map(|&w| point(w, if w == 0.0 { 0.0 } else { slope * w.sqrt() }, half + w * 0.08))
            .collect(),
    };
    Trajectory {
        title: "PHQ-9: change from baseline by arm".into(),
        x_label: "Weeks since randomisation".into(),
        y_label: "Change in PHQ-9 score (points)".into(),
        series: vec![
            arm("Group programme", -2.1, 0.8),
            arm("Usual care", -0.9, 0.8),
            arm("Waiting list", -0.3, 0.9),
        ],
        reference_line: Some(0.0),
    }
}

fn sample_completion() -> Bars {
    let cats: Vec<String> = (1..=12).map(|w| format!("Week {w}")).collect();
    let vals = |base: f64, drop: f64| -> Vec<Option<f64>> {
        (0..12).map(|i| if i == 11 { None } else { Some((base - drop * i as f64).max(0.0)) }).collect()
    };
    Bars {
        title: "Weekly session completion by arm".into(),
        x_label: "Week of programme".into(),
        y_label: "Participants completing session (%)".into(),
        categories: cats,
        series: vec![
            BarSeries { name: "Group programme".into(), values: vals(96.0, 3.5) },
            BarSeries { name: "Usual care".into(), values: vals(90.0, 5.0) },
        ],
        targets: None,
        y_max: Some(100.0),
    }
}

fn sample_enrolment() -> Bars {
    let cats = [
        "American Indian or Alaska Native",
        "Asian",
        "Black or African American",
        "Hispanic or Latino",
        "Native Hawaiian or Other Pacific Islander",
        "White",
        "More than one race",
        "Not reported",
    ];
    Bars {
        title: "Enrolment by race and ethnicity against targets".into(),
        x_label: "Race / ethnicity".into(),
        y_label: "Participants enrolled (n)".into(),
        categories: cats.iter().map(|s| s.to_string()).collect(),
        series: vec![BarSeries {
            name: "Enrolled".into(),
            values: vec![
                Some(4.0),
                Some(18.0),
                Some(41.0),
                Some(37.0),
                Some(2.0),
                Some(96.0),
                Some(9.0),
                None,
            ],
        }],
        targets: Some(Target {
            name: "Enrolment target".into(),
            values: vec![Some(6.0), Some(20.0), Some(45.0), Some(40.0), Some(3.0), Some(80.0), None, None],
        }),
        y_max: None,
    }
}

fn sample_attendance() -> Bars {
    Bars {
        title: "Attendance per group".into(),
        x_label: "Group".into(),
        y_label: "Mean sessions attended (of 8)".into(),
        categories: (1..=12).map(|g| format!("Group {g:02}")).collect(),
        series: vec![BarSeries {
            name: "Mean sessions attended".into(),
            values: (0..12).map(|g| Some(4.0 + (g % 5) as f64 * 0.8)).collect(),
        }],
        targets: Some(Target {
            name: "Adherence threshold (6 sessions)".into(),
            values: vec![Some(6.0); 12],
        }),
        y_max: Some(8.0),
    }
}

fn sample_recruitment() -> Lines {
    let actual: Vec<(f64, f64)> =
        (0..=30).map(|w| (f64::from(w), (f64::from(w) * 3.6 + f64::from(w % 4)).floor())).collect();
    Lines {
        title: "Cumulative recruitment against target".into(),
        x_label: "Weeks since recruitment opened".into(),
        y_label: "Participants randomised (cumulative)".into(),
        series: vec![
            LineSeries { name: "Randomised".into(), points: actual, dashed: false },
            LineSeries {
                name: "Target (240 by week 52)".into(),
                points: vec![(0.0, 0.0), (52.0, 240.0)],
                dashed: true,
            },
        ],
    }
}

const CONSORT_TITLE: &str = "CONSORT 2010 flow diagram";

fn sample_consort() -> ConsortCounts {
    ConsortCounts {
        assessed: 412,
        excluded: 172,
        exclusion_reasons: vec![
            ("Not meeting inclusion criteria".into(), 118),
            ("Declined to participate".into(), 41),
            ("Other reasons".into(), 13),
        ],
        randomised: 240,
        arms: vec![
            ConsortArm {
                arm: "group programme".into(),
                allocated: 120,
                received: Some(111),
                not_received: Some(9),
                lost_to_follow_up: 14,
                discontinued: 6,
                analysed: 117,
                excluded_from_analysis: 3,
            },
            ConsortArm {
                arm: "usual care".into(),
                allocated: 120,
                received: Some(120),
                not_received: Some(0),
                lost_to_follow_up: 11,
                discontinued: 0,
                analysed: 118,
                excluded_from_analysis: 2,
            },
        ],
    }
}

#[test]
fn trajectory_renders_svg_with_title_and_legend_and_a_decodable_png() {
    let c = sample_trajectory();
    let r = trajectory(&c).expect("renders");
    assert_valid(&r, &c.title, &["Group programme", "Usual care", "Waiting list", "95% CI"], (900, 560));
    assert!(r.svg.contains("Weeks since randomisation") && r.svg.contains("Change in PHQ-9 score (points)"));
}

#[test]
fn bars_render_svg_with_title_legend_and_targets_and_a_decodable_png() {
    for c in [sample_completion(), sample_enrolment(), sample_attendance()] {
        let r = bars(&c).expect("renders");
        let mut legend: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
        if let Some(t) = &c.targets {
            legend.push(&t.name);
        }
        assert_valid(&r, &c.title, &legend, (900, 560));
    }
}

#[test]
fn lines_render_svg_with_title_and_legend_and_a_decodable_png() {
    let c = sample_recruitment();
    let r = lines(&c).expect("renders");
    assert_valid(&r, &c.title, &["Randomised", "Target (240 by week 52)"], (900, 560));
}

#[test]
fn consort_renders_every_box_text_and_a_tall_decodable_png() {
    let c = sample_consort();
    let r = consort(CONSORT_TITLE, &c).expect("renders");
    assert_valid(
        &r,
        CONSORT_TITLE,
        &[
            "Assessed for eligibility (n=412)",
            "Excluded (n=172)",
            "Not meeting inclusion criteria (n=118)",
            "Randomised (n=240)",
            "Allocated to group programme (n=120)",
            "Received allocated intervention (n=111)",
            "Lost to follow-up (n=14)",
            "Discontinued intervention (n=6)",
            "Analysed (n=117)",
            "Excluded from analysis (n=3)",
            "Enrolment",
            "Allocation",
            "Follow-up",
            "Analysis",
        ],
        (900, 700),
    );
}

#[test]
fn text_is_drawn_with_the_bundled_font_without_system_fonts() {
    // ab_glyph never loads system fonts: ink in the PNG's title band can only come from the bundled face.
    let r = trajectory(&sample_trajectory()).expect("renders");
    assert!(r.svg.matches("<text").count() > 10, "SVG has text elements");
    assert!(r.svg.contains("font-family=\"DejaVu Sans, sans-serif\""));
    assert!(ink_in_rows(&r.png, 0, 44) > 200, "title pixels drawn");
    let r = consort(CONSORT_TITLE, &sample_consort()).expect("renders");
    assert!(ink_in_rows(&r.png, 0, 44) > 200, "CONSORT title pixels drawn");
}

#[test]
fn titles_are_escaped_in_svg() {
    let mut c = sample_recruitment();
    c.title = "Recruitment <site A & B>".into();
    let r = lines(&c).expect("renders");
    assert!(r.svg.contains("Recruitment &lt;site A &amp; B&gt;"));
}

#[test]
fn one_series_with_one_point_renders() {
    let c = Trajectory {
        title: "One point".into(),
        series: vec![Series { name: "Only arm".into(), points: vec![point(4.0, 2.0, 1.0)] }],
        ..Default::default()
    };
    assert_valid(&trajectory(&c).expect("renders"), "One point", &["Only arm"], (900, 560));
    let l = Lines {
        title: "One point".into(),
        series: vec![LineSeries { name: "Only".into(), points: vec![(3.0, 7.0)], dashed: false }],
        ..Default::default()
    };
    assert_valid(&lines(&l).expect("renders"), "One point", &["Only"], (900, 560));
}

#[test]
fn nan_and_missing_values_are_skipped() {
    let mut c = sample_trajectory();
    c.series[0].points[2].mean = f64::NAN;
    c.series[1].points[3].ci_high = f64::INFINITY;
    c.series[2].points[0].x = f64::NAN;
    trajectory(&c).expect("renders without the non-finite points");
    let mut b = sample_completion();
    b.series[0].values[3] = Some(f64::NAN);
    b.series[1].values = vec![None; 12];
    bars(&b).expect("renders without the missing bars");
    let mut l = sample_recruitment();
    l.series[0].points.push((f64::NAN, 3.0));
    l.series[0].points.push((40.0, f64::INFINITY));
    lines(&l).expect("renders without the non-finite points");
}

#[test]
fn all_equal_values_get_a_usable_axis() {
    let c = Trajectory {
        title: "Flat".into(),
        series: vec![Series {
            name: "Arm".into(),
            points: (0..5).map(|w| Point { x: f64::from(w), mean: 3.0, ci_low: 3.0, ci_high: 3.0 }).collect(),
        }],
        reference_line: None,
        ..Default::default()
    };
    trajectory(&c).expect("renders");
    let b = Bars {
        title: "Zeros".into(),
        categories: vec!["A".into(), "B".into()],
        series: vec![BarSeries { name: "S".into(), values: vec![Some(0.0), Some(0.0)] }],
        ..Default::default()
    };
    bars(&b).expect("renders");
    let l = Lines {
        title: "Flat".into(),
        series: vec![LineSeries { name: "S".into(), points: vec![(0.0, 5.0), (1.0, 5.0)], dashed: true }],
        ..Default::default()
    };
    lines(&l).expect("renders");
}

#[test]
fn long_labels_and_many_groups_render() {
    let cats: Vec<String> =
        (0..14).map(|i| format!("A rather long category name that will not fit number {i}")).collect();
    let b = Bars {
        title: "A very long title that goes on and on about enrolment by site, by arm, by week and by many other \
                things besides"
            .into(),
        x_label: "Site".into(),
        y_label: "Participants (n)".into(),
        series: (0..9)
            .map(|s| BarSeries { name: format!("Series {s}"), values: (0..14).map(|i| Some(f64::from(i + s))).collect() })
            .collect(),
        categories: cats,
        targets: None,
        y_max: None,
    };
    let r = bars(&b).expect("renders");
    ihdr_size(&r.png);
    let mut c = sample_consort();
    c.arms = (0..5)
        .map(|i| ConsortArm {
            arm: format!("arm {i} with a name long enough to wrap over lines"),
            ..c.arms[0].clone()
        })
        .collect();
    c.exclusion_reasons =
        (0..8).map(|i| (format!("Reason number {i} for exclusion, described at length"), 3)).collect();
    let r = consort(CONSORT_TITLE, &c).expect("renders");
    let (w, _) = ihdr_size(&r.png);
    assert!(w > 900, "five arms widen the diagram");
}

#[test]
fn empty_input_gives_a_clear_error() {
    let err = trajectory(&Trajectory { title: "T".into(), ..Default::default() }).expect_err("no series");
    assert!(matches!(err, ChartError::NoData { .. }), "{err}");
    assert!(err.to_string().contains("no series"), "{err}");
    let err = trajectory(&Trajectory {
        series: vec![Series { name: "A".into(), points: vec![point(f64::NAN, 1.0, 1.0)] }],
        ..Default::default()
    })
    .expect_err("no finite points");
    assert!(matches!(err, ChartError::NoData { .. }), "{err}");

    let err =
        bars(&Bars { series: vec![BarSeries::default()], ..Default::default() }).expect_err("no categories");
    assert!(err.to_string().contains("no categories"), "{err}");
    let err = bars(&Bars { categories: vec!["A".into()], ..Default::default() }).expect_err("no series");
    assert!(err.to_string().contains("no series"), "{err}");
    let err = bars(&Bars {
        categories: vec!["A".into()],
        series: vec![BarSeries { name: "S".into(), values: vec![None] }],
        ..Default::default()
    })
    .expect_err("all missing");
    assert!(matches!(err, ChartError::NoData { .. }), "{err}");
    let err = bars(&Bars {
        categories: vec!["A".into(), "B".into()],
        series: vec![BarSeries { name: "S".into(), values: vec![Some(1.0)] }],
        ..Default::default()
    })
    .expect_err("length mismatch");
    assert!(
        matches!(err, ChartError::Invalid { .. }) && err.to_string().contains("1 values for 2 categories")
    );

    let err = lines(&Lines::default()).expect_err("no series");
    assert!(matches!(err, ChartError::NoData { .. }), "{err}");
    let err =
        lines(&Lines { series: vec![LineSeries::default()], ..Default::default() }).expect_err("no points");
    assert!(matches!(err, ChartError::NoData { .. }), "{err}");

    let err = consort(CONSORT_TITLE, &ConsortCounts::default()).expect_err("no arms");
    assert!(err.to_string().contains("no arms"), "{err}");
}

/// Writes every sample to /tmp/charts-samples for looking at.
#[test]
fn write_samples_for_review() {
    let dir = std::path::Path::new("/tmp/charts-samples");
    std::fs::create_dir_all(dir).expect("sample directory");
    let mut one_arm = sample_trajectory();
    one_arm.title = "One arm, one point, no reference line".into();
    one_arm.series = vec![Series { name: "Group programme".into(), points: vec![point(6.0, -2.0, 1.2)] }];
    one_arm.reference_line = None;
    let mut many = sample_enrolment();
    many.title = "Enrolment by site (12 sites, long names)".into();
    many.categories = (1..=12).map(|i| format!("Community health centre number {i}")).collect();
    many.series = vec![
        BarSeries {
            name: "Group programme".into(),
            values: (0..12).map(|i| Some(f64::from(5 + i % 7))).collect(),
        },
        BarSeries {
            name: "Usual care".into(),
            values: (0..12).map(|i| Some(f64::from(4 + i % 5))).collect(),
        },
    ];
    many.targets = Some(Target { name: "Site target".into(), values: vec![Some(10.0); 12] });
    let mut five = sample_consort();
    five.arms = (0..5)
        .map(|i| ConsortArm {
            arm: format!("arm {i} with a name long enough to wrap"),
            ..five.arms[0].clone()
        })
        .collect();
    let flat = Trajectory {
        title: "All values equal, NaN skipped".into(),
        x_label: "Weeks".into(),
        y_label: "Score (points)".into(),
        series: vec![
            Series {
                name: "Arm A".into(),
                points: (0..5)
                    .map(|w| Point { x: f64::from(w), mean: 3.0, ci_low: 3.0, ci_high: 3.0 })
                    .collect(),
            },
            Series {
                name: "Arm B".into(),
                points: vec![point(1.0, f64::NAN, 1.0), point(2.0, 3.0, f64::NAN)],
            },
        ],
        reference_line: None,
    };
    let samples: Vec<(&str, Rendered)> = vec![
        ("consort-five-arms", consort("CONSORT flow, five arms with long names", &five).expect("five arms")),
        ("trajectory-flat", trajectory(&flat).expect("flat")),
        ("trajectory", trajectory(&sample_trajectory()).expect("trajectory")),
        ("trajectory-one-point", trajectory(&one_arm).expect("one point")),
        ("completion", bars(&sample_completion()).expect("completion")),
        ("attendance", bars(&sample_attendance()).expect("attendance")),
        ("enrolment", bars(&sample_enrolment()).expect("enrolment")),
        ("enrolment-sites", bars(&many).expect("sites")),
        ("recruitment", lines(&sample_recruitment()).expect("recruitment")),
        ("consort", consort(CONSORT_TITLE, &sample_consort()).expect("consort")),
    ];
    for (name, r) in samples {
        std::fs::write(dir.join(format!("{name}.svg")), &r.svg).expect("write svg");
        std::fs::write(dir.join(format!("{name}.png")), &r.png).expect("write png");
    }
}
