#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! `distretto clear` as CONTRACT.md ("Clearing files") describes it.

use std::collections::HashMap;
mod common;

use common::{run, temp_dir};
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON summary: the last line on stdout.
fn summary(o: &Output) -> serde_json::Value {
    let out = text(&o.stdout);
    let last = out.trim_end().lines().last().unwrap();
    serde_json::from_str(last).unwrap()
}

/// Checks an output CSV against its input: same invoices in order, `0 ≤ setoff ≤ amount`,
/// every net position unchanged. Returns the cleared total.
fn check_output(input: &str, output: &str) -> i128 {
    let mut out_lines = output.lines();
    assert_eq!(out_lines.next(), Some("id,debtor,creditor,amount,setoff"));
    let mut change: HashMap<String, i128> = HashMap::new();
    let mut cleared = 0i128;
    for (inv, out) in input.lines().skip(1).zip(out_lines.by_ref()) {
        let (prefix, setoff) = out.rsplit_once(',').unwrap();
        assert_eq!(prefix, inv);
        let fields: Vec<&str> = inv.split(',').collect();
        let amount: i64 = fields[3].parse().unwrap();
        let setoff: i64 = setoff.parse().unwrap();
        assert!((0..=amount).contains(&setoff), "{out}");
        *change.entry(fields[1].to_owned()).or_default() += i128::from(setoff);
        *change.entry(fields[2].to_owned()).or_default() -= i128::from(setoff);
        cleared += i128::from(setoff);
    }
    assert_eq!(out_lines.next(), None, "one output line per invoice");
    assert!(change.values().all(|&c| c == 0), "net positions unchanged");
    cleared
}

#[test]
fn a_file_round_trips_with_valid_optimal_set_offs() {
    let dir = temp_dir("clear-ok");
    let o = run(
        &[
            "bench",
            "clearing-generate",
            "--parties",
            "60",
            "--invoices",
            "400",
            "--seed",
            "5",
            "--out",
            "in.csv",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(&["clear", "--invoices", "in.csv", "--out", "out.csv"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let input = std::fs::read_to_string(dir.join("in.csv")).unwrap();
    let output = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    let cleared = check_output(&input, &output);
    let s = summary(&o);
    assert_eq!(s["invoices"], 400);
    assert_eq!(i128::from(s["cleared"].as_i64().unwrap()), cleared);
    assert!(cleared > 0);
    assert_eq!(
        s["total"].as_i64().unwrap(),
        s["cleared"].as_i64().unwrap() + s["remaining"].as_i64().unwrap()
    );
    assert!(s["elapsed_ms"].is_u64());
    assert!(s["parties"].as_u64().unwrap() <= 60);
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left behind");

    // Without --out the CSV goes to stdout, the summary last.
    let o = run(&["clear", "--invoices", "in.csv"], &dir);
    assert_eq!(o.status.code(), Some(0));
    let stdout = text(&o.stdout);
    let (csv, _) = stdout.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(check_output(&input, csv), cleared);
    assert_eq!(summary(&o)["cleared"], s["cleared"]);
}

#[test]
fn a_three_cycle_with_quoted_names_clears_exactly() {
    let dir = temp_dir("clear-cycle");
    std::fs::write(
        dir.join("in.csv"),
        "id,debtor,creditor,amount\r\n1,\"Rossi, Srl\",Bianchi,100\r\n2,Bianchi,Verdi,70\r\n3,Verdi,\"Rossi, Srl\",90\r\n",
    )
    .unwrap();
    let o = run(&["clear", "--invoices", "in.csv", "--out", "out.csv"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert_eq!(
        out,
        "id,debtor,creditor,amount,setoff\n1,\"Rossi, Srl\",Bianchi,100,70\n2,Bianchi,Verdi,70,70\n3,Verdi,\"Rossi, Srl\",90,70\n"
    );
    let s = summary(&o);
    assert_eq!(
        (
            s["total"].clone(),
            s["cleared"].clone(),
            s["remaining"].clone()
        ),
        (260.into(), 210.into(), 50.into())
    );
    assert_eq!(s["parties"], 3);
}

#[test]
fn a_header_alone_clears_nothing() {
    let dir = temp_dir("clear-header");
    std::fs::write(dir.join("in.csv"), "id,debtor,creditor,amount\n").unwrap();
    let o = run(&["clear", "--invoices", "in.csv", "--out", "out.csv"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s = summary(&o);
    assert_eq!(
        (s["invoices"].clone(), s["cleared"].clone()),
        (0.into(), 0.into())
    );
}

#[test]
fn bad_input_exits_2_with_one_line_naming_it_and_writes_nothing() {
    let dir = temp_dir("clear-bad");
    let h = "id,debtor,creditor,amount\n";
    let cases: &[(&str, &str, &str)] = &[
        ("empty", "", "line 1"),
        ("no-header", "a,X,Y,5\n", "line 1"),
        ("malformed", &format!("{h}a,X,Y,5\nb,X,Y\n"), "line 3"),
        ("negative", &format!("{h}a,X,Y,-5\n"), "line 2"),
        ("zero", &format!("{h}a,X,Y,0\n"), "line 2"),
        ("decimal", &format!("{h}a,X,Y,5.50\n"), "line 2"),
        ("self", &format!("{h}a,X,Y,5\nb,Z,Z,5\n"), "line 3"),
        (
            "duplicate",
            &format!("{h}a,X,Y,5\nb,Y,X,5\na,Y,Z,5\n"),
            "line 4",
        ),
    ];
    for (name, content, line) in cases {
        let input = format!("{name}.csv");
        std::fs::write(dir.join(&input), content).unwrap();
        let out = format!("{name}-out.csv");
        let o = run(&["clear", "--invoices", &input, "--out", &out], &dir);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(line), "{name} names {line}: {err}");
        assert!(!dir.join(&out).exists(), "{name}: nothing written");
        assert!(text(&o.stdout).is_empty(), "{name}: nothing on stdout");
    }
    std::fs::write(
        dir.join("latin1.csv"),
        b"id,debtor,creditor,amount\na,Caf\xe9,Y,5\n",
    )
    .unwrap();
    let o = run(
        &["clear", "--invoices", "latin1.csv", "--out", "l.csv"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("line 2"));
    for args in [
        &["clear", "--invoices", "missing.csv", "--out", "m.csv"][..],
        &[
            "clear",
            "--invoices",
            "zero.csv",
            "--out",
            "no/such/dir/out.csv",
        ][..],
        &["clear", "--out", "x.csv"][..],
    ] {
        let o = run(args, &dir);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(!dir.join("m.csv").exists() && !dir.join("x.csv").exists());
    }
    std::fs::write(dir.join("good.csv"), format!("{h}a,X,Y,5\n")).unwrap();
    let o = run(
        &[
            "clear",
            "--invoices",
            "good.csv",
            "--out",
            "no/such/dir/out.csv",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr).trim().lines().count(), 1);
}
