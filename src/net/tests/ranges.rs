//! Range answers: where they start, how long they are, what is continued or dropped.

use super::super::identity::{content_range, length, unsatisfied_total};
use super::*;

#[test]
fn an_honest_range_answer_is_read_to_its_end() {
    let (mut r, mut id) = (read(100, 50), Identity::default());
    assert_eq!(r.start(), req(100, 149));
    assert_eq!(r.response(&ranged("bytes 100-149/1000"), &mut id), body(50));
    assert_eq!(r.body(20), (20, body(30)));
    assert_eq!(r.body(30), (30, body(1)), "read on to see the body end");
    assert_eq!(r.end(&mut id), Action::Done);
    assert_eq!(r.got(), 50);
    assert_eq!(id.size, Some(1000));
    assert_eq!(id.version.unwrap().etag.as_deref(), Some("\"v1\""));
    // Nothing to read, nothing asked.
    assert_eq!(read(5, 0).start(), Action::Done);
    assert_eq!(range_header(0, 4095), "bytes=0-4095");
}

#[test]
fn a_content_range_must_start_where_asked_and_agree_with_itself() {
    let answer = |offset, cr: Option<&str>| {
        let mut r = read(offset, 4096);
        r.start();
        let h = Head {
            content_range: cr,
            ..head(206, &[])
        };
        r.response(&h, &mut Identity::default())
    };
    let bad = |cr: &str, at: u64| {
        fail(&format!(
            "bad Content-Range '{cr}' for bytes {at}-{}",
            at + 4095
        ))
    };
    assert_eq!(
        answer(0, Some("bytes 1-4095/213750")),
        bad("bytes 1-4095/213750", 0)
    );
    assert_eq!(answer(0, None), bad("", 0));
    assert_eq!(
        answer(0, Some("bytes 0-4095/4095")),
        bad("bytes 0-4095/4095", 0)
    );
    assert_eq!(answer(9, Some("bytes 9-8/100")), bad("bytes 9-8/100", 9));
    assert_eq!(answer(0, Some("bytes 0-4095")), bad("bytes 0-4095", 0));
    assert_eq!(
        answer(0, Some("bytes\t0-9/9\u{1}")),
        bad("bytes\\x090-9/9\\x01", 0)
    );
    // An unknown total is fine.
    assert_eq!(answer(0, Some("bytes 0-9/*")), body(10));
}

#[test]
fn content_ranges_and_lengths_parse_strictly() {
    assert_eq!(content_range("bytes 0-9/100"), Some((0, 9, Some(100))));
    assert_eq!(content_range("bytes 5-9/*"), Some((5, 9, None)));
    assert_eq!(content_range("bytes -9/100"), None);
    assert_eq!(content_range("bytes 1-2"), None);
    assert_eq!(content_range("bytes +1-2/3"), None);
    assert_eq!(content_range("bytes 1-99999999999999999999/3"), None);
    assert_eq!(unsatisfied_total("bytes */500"), Some(500));
    assert_eq!(unsatisfied_total("bytes */x"), None);
    assert_eq!(
        (length("12"), length("+12"), length("")),
        (Some(12), None, None)
    );
}

#[test]
fn a_short_body_is_continued_from_where_it_stopped() {
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    assert_eq!(r.response(&ranged("bytes 0-39/1000"), &mut id), body(40));
    assert_eq!(r.body(40), (40, body(1)));
    assert_eq!(r.end(&mut id), req(40, 99));
    assert_eq!(r.response(&ranged("bytes 40-99/1000"), &mut id), body(60));
    assert_eq!(r.body(60), (60, body(1)));
    assert_eq!(r.end(&mut id), Action::Done);
    // A shorter answer ending at the end of the file ends the read there.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    assert_eq!(r.response(&ranged("bytes 0-49/50"), &mut id), body(50));
    assert_eq!(r.body(50), (50, body(1)));
    assert_eq!(r.end(&mut id), Action::Done);
    assert_eq!(r.got(), 50);
}

#[test]
fn crumbs_are_given_up_on_after_8_requests_plus_1_per_kib() {
    assert_eq!(
        (max_rounds(1), max_rounds(1024), max_rounds(4096)),
        (9, 9, 12)
    );
    let (mut r, mut id) = (read(0, 4096), Identity::default());
    let mut action = r.start();
    let mut requests = 0;
    while let Action::Request { from, .. } = action {
        requests += 1;
        let cr = format!("bytes {from}-{}/213750", from + 99);
        r.response(&ranged(&cr), &mut id);
        r.body(100);
        action = r.end(&mut id);
    }
    assert_eq!(requests, 12);
    assert_eq!(
        action,
        fail("the server keeps sending short responses (12 requests for bytes 0-4095, 1200 bytes received)")
    );
}

#[test]
fn a_body_longer_than_asked_is_read_as_asked_and_dropped() {
    // 64 MiB announced past the asked end: the read takes what it asked for and moves on.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    let cr = format!("bytes 0-{}/{}", 99 + (64 << 20), 1u64 << 30);
    assert_eq!(r.response(&ranged(&cr), &mut id), body(100));
    assert_eq!(r.body(64), (64, body(36)));
    assert_eq!(r.body(65536), (36, Action::Done));
    // Exactly as asked, then no more: done without reading on.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    r.response(&ranged("bytes 0-199/1000"), &mut id);
    assert_eq!(r.body(100), (100, Action::Done));
}

#[test]
fn a_body_longer_than_its_own_content_range_is_an_error() {
    let longer = fail("the response is longer than its Content-Range says (bytes 0-99)");
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    r.response(&ranged("bytes 0-99/1000"), &mut id);
    assert_eq!(r.body(100), (100, body(1)));
    assert_eq!(r.body(0), (0, body(1)), "an empty chunk is no byte");
    assert_eq!(r.body(1), (0, longer.clone()));
    // In the same chunk.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    r.response(&ranged("bytes 0-99/1000"), &mut id);
    assert_eq!(r.body(200), (100, longer));
}
