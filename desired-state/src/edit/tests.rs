//! Small documents edited one way or another: the result text, and what is refused.

use proptest::prelude::*;

use super::*;

fn path(keys: &[&str]) -> YamlPath {
    keys.iter().fold(YamlPath::new(), |p, k| p.key(*k))
}

fn put(at: &[&str], key: &str, value: Value) -> Edit {
    Edit::Put {
        at: path(at),
        key: key.to_owned(),
        value,
    }
}

fn num(text: &str) -> Value {
    Value::Plain(text.to_owned())
}

fn text(text: &str) -> Value {
    Value::Text(text.to_owned())
}

fn edited(doc: &str, edits: &[Edit]) -> String {
    Document::parse(doc)
        .and_then(|d| d.apply(edits))
        .unwrap_or_else(|e| panic!("{e}\n{doc}"))
}

fn refusal(doc: &str, edits: &[Edit]) -> String {
    match Document::parse(doc).and_then(|d| d.apply(edits)) {
        Ok(text) => panic!("edited:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_plain_value_is_replaced_and_its_comment_kept() {
    let doc = "a:\n  count: 2   # two at night\n  other: x\n";
    assert_eq!(
        edited(doc, &[put(&["a"], "count", num("5"))]),
        "a:\n  count: 5   # two at night\n  other: x\n"
    );
}

#[test]
fn quoted_values_keep_their_quotes() {
    let doc = "a: { c: '>', d: \"5m\", e: plain }\n";
    assert_eq!(
        edited(
            doc,
            &[
                put(&["a"], "c", text(">=")),
                put(&["a"], "d", text("10m")),
                put(&["a"], "e", text(">"))
            ]
        ),
        "a: { c: '>=', d: \"10m\", e: \">\" }\n"
    );
    let doc = "a: 'it''s'\n";
    assert_eq!(
        edited(doc, &[put(&[], "a", text("won't"))]),
        "a: 'won''t'\n"
    );
}

#[test]
fn a_key_is_inserted_after_the_last_entry_at_its_siblings_indentation() {
    let doc = "spec:\n  svc:\n    min: 1   # floor\n    max: 4\n\n  # next\n  other: 1\n";
    assert_eq!(
        edited(doc, &[put(&["spec", "svc"], "cooldown", text("5m"))]),
        "spec:\n  svc:\n    min: 1   # floor\n    max: 4\n    cooldown: 5m\n\n  # next\n  other: 1\n"
    );
}

#[test]
fn a_key_is_inserted_into_a_flow_mapping() {
    assert_eq!(
        edited("a: { x: 1 }\n", &[put(&["a"], "z", num("2"))]),
        "a: { x: 1, z: 2 }\n"
    );
    assert_eq!(
        edited("a: {}\n", &[put(&["a"], "z", num("2"))]),
        "a: {z: 2}\n"
    );
    // `y` is a boolean to YAML 1.1 readers: quoted.
    assert_eq!(
        edited("a: { x: 1 }\n", &[put(&["a"], "y", num("2"))]),
        "a: { x: 1, \"y\": 2 }\n"
    );
}

#[test]
fn a_new_key_may_hold_a_flow_mapping() {
    let doc = "auto:\n  min: 1\n  max: 2\n";
    let value = Value::Mapping(vec![("dynamicScalingIn".into(), num("true"))]);
    assert_eq!(
        edited(doc, &[put(&["auto"], "suspended", value.clone())]),
        "auto:\n  min: 1\n  max: 2\n  suspended: { dynamicScalingIn: true }\n"
    );
    assert!(refusal(doc, &[put(&["auto"], "min", value)]).contains("cannot become a mapping"));
}

#[test]
fn a_key_goes_after_a_block_scalar_on_its_own_line() {
    let doc = "spec:\n  x:\n    desc: |\n      text\n\n  y: 1\n";
    assert_eq!(
        edited(doc, &[put(&["spec", "x"], "z", num("2"))]),
        "spec:\n  x:\n    desc: |\n      text\n    z: 2\n\n  y: 1\n"
    );
    let doc = "a: &m {}\nb: [ ]\n";
    assert_eq!(
        edited(doc, &[put(&["a"], "k", num("1"))]),
        "a: &m {k: 1}\nb: [ ]\n"
    );
}

#[test]
fn crlf_files_stay_crlf() {
    let doc = "a:\r\n  x: 1\r\n  y: 2\r\nb: 3\r\n";
    assert_eq!(
        edited(
            doc,
            &[put(&["a"], "z", num("3")), put(&["a"], "x", num("9"))]
        ),
        "a:\r\n  x: 9\r\n  y: 2\r\n  z: 3\r\nb: 3\r\n"
    );
}

#[test]
fn items_are_appended_in_the_style_of_their_siblings() {
    let item = vec![vec![
        ("protocol".to_owned(), text("email")),
        ("endpoint".to_owned(), text("ops@example.com")),
    ]];
    let append = |at: &[&str]| Edit::Append {
        at: path(at),
        key: "subs".to_owned(),
        items: item.clone(),
    };
    insta::assert_snapshot!(
        edited("t:\n  subs:\n    - { protocol: sms, endpoint: \"+15550100\" }  # pager\nu: 1\n", &[append(&["t"])]),
        @r#"
    t:
      subs:
        - { protocol: sms, endpoint: "+15550100" }  # pager
        - { protocol: email, endpoint: ops@example.com }
    u: 1
    "#
    );
    insta::assert_snapshot!(
        edited("t:\n  subs:\n  - protocol: sms\n    endpoint: \"+15550100\"\nu: 1\n", &[append(&["t"])]),
        @r#"
    t:
      subs:
      - protocol: sms
        endpoint: "+15550100"
      - protocol: email
        endpoint: ops@example.com
    u: 1
    "#
    );
    assert_eq!(
        edited("t: { subs: [{a: 1}] }\n", &[append(&["t"])]),
        "t: { subs: [{a: 1}, {protocol: email, endpoint: ops@example.com}] }\n"
    );
    assert_eq!(
        edited("t:\n  name: x\n", &[append(&["t"])]),
        "t:\n  name: x\n  subs:\n    - { protocol: email, endpoint: ops@example.com }\n"
    );
}

#[test]
fn services_are_found_by_their_values() {
    let doc = "services:\n  - cluster: c\n    name: a\n    desiredCount: 1\n  - cluster: c\n    name: b\n    desiredCount: 1\n";
    let at = YamlPath::new()
        .key("services")
        .item_where(&[("cluster", "c"), ("name", "b")]);
    let out = edited(
        doc,
        &[Edit::Put {
            at,
            key: "desiredCount".into(),
            value: num("3"),
        }],
    );
    assert!(out.ends_with("name: b\n    desiredCount: 3\n"), "{out}");
    assert!(out.contains("name: a\n    desiredCount: 1\n"), "{out}");
}

#[test]
fn aliases_anchors_and_merges_are_refused() {
    let doc = "base: &b { min: 1 }\nsvc: *b\n";
    let why = refusal(doc, &[put(&["svc"], "min", num("2"))]);
    assert!(
        why.starts_with("2:6: cannot write svc.min back faithfully: the value comes from an alias"),
        "{why}"
    );
    let why = refusal(doc, &[put(&["base"], "min", num("2"))]);
    assert!(
        why.contains("anchor (`&name`) that an alias uses elsewhere"),
        "{why}"
    );
    let doc = "base: &b { min: 1 }\nsvc:\n  <<: *b\n  max: 3\n";
    let why = refusal(doc, &[put(&["svc"], "max", num("2"))]);
    assert!(why.contains("merges another one"), "{why}");
    let doc = "a: &n 5\nb: *n\n";
    assert!(refusal(doc, &[put(&[], "b", num("2"))]).contains("alias"));
    // An anchor nobody uses is harmless.
    assert_eq!(
        edited("a: &n { x: 5 }\n", &[put(&["a"], "x", num("6"))]),
        "a: &n { x: 6 }\n"
    );
}

#[test]
fn block_and_multi_line_scalars_and_bad_files_are_refused() {
    assert!(refusal("a: |\n  text\n", &[put(&[], "a", text("x"))]).contains("block scalar"));
    assert!(refusal("a: \"one\n  two\"\n", &[put(&[], "a", text("x"))]).contains("several lines"));
    assert!(refusal("a: [1\n", &[]).contains("does not parse"));
    assert!(refusal("a: 1\n---\nb: 2\n", &[]).contains("second document"));
    assert!(refusal("a: 1\n", &[put(&["x"], "y", num("1"))]).contains("x is not in the file"));
}

#[test]
fn nested_lists_and_the_last_line_without_a_break() {
    let doc = "a:\n  - b:\n      - 1\n    c: 2";
    assert_eq!(
        edited(
            doc,
            &[Edit::Put {
                at: YamlPath::new().key("a").item_where(&[("c", "2")]),
                key: "d".into(),
                value: num("3"),
            }]
        ),
        "a:\n  - b:\n      - 1\n    c: 2\n    d: 3"
    );
}

proptest! {
    /// Random replacements of random values: the text outside each replaced value is
    /// byte-identical, and the rest reads back unchanged (checked inside `apply`).
    #[test]
    fn every_byte_outside_the_edited_values_stays(
        values in proptest::collection::vec((0u32..1000, "[a-z]{1,8}", prop::bool::ANY), 1..6),
        pick in proptest::collection::vec(prop::bool::ANY, 6),
        new in 0u32..100_000,
        crlf in prop::bool::ANY,
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut doc = String::from("# head");
        doc.push_str(eol);
        for (i, (n, word, flow)) in values.iter().enumerate() {
            if *flow {
                doc.push_str(&format!("k{i}: {{ n: {n}, w: '{word}' }}  # c{i}{eol}"));
            } else {
                doc.push_str(&format!("k{i}:{eol}  n: {n}{eol}  w: \"{word}\"{eol}{eol}"));
            }
        }
        let edits: Vec<Edit> = (0..values.len())
            .filter(|i| pick[*i])
            .map(|i| put(&[&format!("k{i}")], "n", num(&new.to_string())))
            .collect();
        let out = edited(&doc, &edits);
        // Remove each edit's effect: the old text comes back.
        let mut restored = out.clone();
        for (i, (n, _, _)) in values.iter().enumerate() {
            if pick[i] {
                let (from_flow, from_block) = (format!("k{i}: {{ n: {new},"), format!("k{i}:{eol}  n: {new}{eol}"));
                restored = restored
                    .replace(&from_flow, &format!("k{i}: {{ n: {n},"))
                    .replace(&from_block, &format!("k{i}:{eol}  n: {n}{eol}"));
            }
        }
        prop_assert_eq!(restored, doc);
        prop_assert_eq!(out.matches('#').count(), 1 + values.iter().filter(|v| v.2).count());
    }
}

/// A section of a generated document: (its text, the edits that fit it).
fn section(i: usize, shape: u8, n: u32, word: &str, eol: &str) -> (String, Vec<Edit>) {
    let key = format!("s{i}");
    let item = || {
        vec![vec![
            ("p".to_owned(), text("email")),
            ("e".to_owned(), text(&format!("{word}@example.com"))),
        ]]
    };
    let append = |at: Vec<&str>| Edit::Append {
        at: path(&at),
        key: "items".into(),
        items: item(),
    };
    match shape % 5 {
        0 => (
            format!("{key}:{eol}  a: {n}   # c{i}{eol}  b: '{word}'{eol}"),
            vec![
                put(&[&key], "a", num(&(n + 1).to_string())),
                put(&[&key], "z", text(word)),
                put(&[&key], "b", text("it's")),
            ],
        ),
        1 => (
            format!("{key}: {{ a: {n}, b: \"{word}\" }}  # c{i}{eol}"),
            vec![
                put(&[&key], "a", num("7")),
                put(&[&key], "z", num("1.5")),
                put(&[&key], "b", text("q\"x")),
            ],
        ),
        2 => (
            format!("{key}:{eol}  items:{eol}    - {{ p: sms, e: \"+1555{n}\" }}  # c{i}{eol}"),
            vec![append(vec![&key])],
        ),
        3 => (
            format!("{key}:{eol}  items:{eol}  - p: sms{eol}    e: x{n}{eol}{eol}  # trailing c{i}{eol}"),
            vec![append(vec![&key]), put(&[&key], "z", num("2"))],
        ),
        _ => (
            format!("{key}: {{ items: [{{p: sms}}], a: {n} }}{eol}"),
            vec![append(vec![&key]), put(&[&key], "a", num("3"))],
        ),
    }
}

proptest! {
    /// Generated documents (block and flow mappings, lists of both styles, comments,
    /// blank lines, CRLF) and random edits of every kind: the result reads back as
    /// intended (checked inside `apply`), every line no edit touched is still there in
    /// order, and the line endings stay the file's.
    #[test]
    fn edits_of_every_kind_leave_the_other_lines_alone(
        sections in proptest::collection::vec((0u8..5, 0u32..1000, "[a-z]{1,6}", 0usize..3, prop::bool::ANY), 1..7),
        crlf in prop::bool::ANY,
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut doc = format!("# generated{eol}");
        let mut edits = Vec::new();
        for (i, (shape, n, word, pick, blank)) in sections.iter().enumerate() {
            let (text, fitting) = section(i, *shape, *n, word, eol);
            doc.push_str(&text);
            if *blank {
                doc.push_str(eol);
            }
            if let Some(edit) = fitting.get(*pick % (fitting.len() + 1)) {
                edits.push(edit.clone());
            }
        }
        let document = Document::parse(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        let out = document.apply(&edits).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        let mut touched = std::collections::BTreeSet::new();
        for edit in &edits {
            for s in splice::splices(&doc, &document.tree, edit).unwrap_or_default() {
                touched.insert(doc[..s.range.start].matches('\n').count());
            }
        }
        let mut rest = out.split_inclusive('\n');
        for (number, line) in doc.split_inclusive('\n').enumerate() {
            if !touched.contains(&number) {
                prop_assert!(rest.any(|l| l == line), "line {} {:?} lost:\n{}", number + 1, line, out);
            }
        }
        if crlf {
            prop_assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
        } else {
            prop_assert!(!out.contains('\r'));
        }
    }
}
