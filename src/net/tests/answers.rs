//! Other answers and failures: whole files, 416s, changed files, retries, encodings.

use super::*;

#[test]
fn a_server_ignoring_range_is_read_whole_once_within_the_limit() {
    let (mut r, mut id) = (read(10, 20), Identity::default());
    r.start();
    assert_eq!(
        r.response(&head(200, &[("length", "1000")]), &mut id),
        whole(1001)
    );
    assert_eq!(r.body(600), (600, whole(401)));
    assert_eq!(r.body(400), (400, whole(1)));
    assert_eq!(r.end(&mut id), Action::Whole);
    assert_eq!(id.size, Some(1000));
    // Over the limit, said or seen.
    let limited = |host| Rules {
        whole_file_limit: 102400,
        ..rules(host)
    };
    let mut r = RangeRead::new(0, 10, limited(Host::Native));
    r.start();
    assert_eq!(
        r.response(&head(200, &[("length", "213750")]), &mut Identity::default()),
        fail("the server ignores HTTP range requests and the file is 213750 bytes, over the 102400-byte limit for reading it whole")
    );
    let mut r = RangeRead::new(0, 10, limited(Host::Native));
    r.start();
    assert_eq!(
        r.response(&head(200, &[]), &mut Identity::default()),
        whole(102401)
    );
    assert_eq!(r.body(102400), (102400, whole(1)));
    assert_eq!(
        r.body(1),
        (0, fail("the server ignores HTTP range requests and the file is over the 102400-byte limit for reading it whole"))
    );
    // Longer than its Content-Length, or cut short of it.
    let mut r = read(0, 10);
    r.start();
    r.response(&head(200, &[("length", "100")]), &mut Identity::default());
    assert_eq!(
        r.body(101),
        (
            0,
            fail("the response is longer than its Content-Length says (100 bytes)")
        )
    );
    let (mut r, mut id) = (read(0, 10), Identity::default());
    let mut action = r.start();
    for wait in [100, 400] {
        assert_eq!(action, req(0, 9));
        r.response(&head(200, &[("length", "100")]), &mut id);
        r.body(60);
        assert_eq!(r.end(&mut id), Action::Wait { ms: wait });
        action = r.resume();
    }
    r.response(&head(200, &[("length", "100")]), &mut id);
    r.body(60);
    assert_eq!(
        r.end(&mut id),
        fail("truncated response: expected 100 bytes, got 60 (3 attempts)")
    );
}

#[test]
fn a_416_past_a_size_said_is_an_error_and_at_the_end_of_a_continued_read_its_end() {
    let unsatisfied = head(416, &[("range", "bytes */500")]);
    let mut id = Identity {
        size: Some(600),
        ..Identity::default()
    };
    let mut r = read(550, 100);
    r.start();
    assert_eq!(
        r.response(&unsatisfied, &mut id),
        fail("the server said the file has 600 bytes, then answered HTTP 416 for bytes 550-649")
    );
    let mut r = read(700, 10);
    r.start();
    assert_eq!(
        r.response(&unsatisfied, &mut Identity::default()),
        fail("HTTP 416: bytes 700-709 lie past the end of the file (truncated file?)")
    );
    // Bytes came, then the file ended: its size is the 416's.
    let (mut r, mut id) = (read(400, 200), Identity::default());
    r.start();
    r.response(&ranged("bytes 400-499/*"), &mut id);
    r.body(100);
    assert_eq!(r.end(&mut id), req(500, 599));
    assert_eq!(r.response(&unsatisfied, &mut id), Action::Done);
    assert_eq!((r.got(), id.size), (100, Some(500)));
}

#[test]
fn a_different_size_etag_or_last_modified_later_is_a_changed_file() {
    let answer = |id: &mut Identity, h: &Head| {
        let mut r = read(0, 10);
        r.start();
        r.response(h, id)
    };
    let mut id = Identity::default();
    assert_eq!(answer(&mut id, &ranged("bytes 0-9/1000")), body(10));
    let v2 = head(206, &[("range", "bytes 0-9/1000"), ("etag", "\"v2\"")]);
    assert_eq!(
        answer(&mut id, &v2),
        fail("changed while reading (ETag \"v1\", now \"v2\")")
    );
    assert_eq!(
        answer(&mut id, &ranged("bytes 0-9/2000")),
        fail("changed while reading (1000 bytes, now 2000)")
    );
    // Last-Modified when there is no ETag on both; an empty header is none.
    let lm = |d: &'static str| {
        head(
            206,
            &[("range", "bytes 0-9/*"), ("modified", d), ("etag", "")],
        )
    };
    let mut id = Identity::default();
    answer(&mut id, &lm("Mon, 01 Jan 2024 00:00:00 GMT"));
    assert_eq!(
        answer(&mut id, &lm("Mon, 02 Jan 2024 00:00:00 GMT")),
        fail("changed while reading (Last-Modified Mon, 01 Jan 2024 00:00:00 GMT, now Mon, 02 Jan 2024 00:00:00 GMT)")
    );
    // A whole body of another size.
    let mut id = Identity {
        size: Some(1000),
        ..Identity::default()
    };
    let mut r = read(0, 10);
    r.start();
    r.response(&head(200, &[]), &mut id);
    r.body(999);
    assert_eq!(
        r.end(&mut id),
        fail("changed while reading (1000 bytes, now 999)")
    );
}

#[test]
fn network_errors_timeouts_and_cut_bodies_are_retried_twice() {
    let mut r = read(0, 10);
    r.start();
    assert_eq!(
        r.fault(Fault::Network("refused".into())),
        Action::Wait { ms: 100 }
    );
    assert_eq!(r.resume(), req(0, 9));
    assert_eq!(r.fault(Fault::Timeout), Action::Wait { ms: 400 });
    r.resume();
    assert_eq!(
        r.fault(Fault::Network("connection refused".into())),
        fail("network error: connection refused (3 attempts)")
    );
    let mut r = read(0, 10);
    let mut action = r.start();
    for _ in 0..2 {
        assert_eq!(action, req(0, 9));
        r.fault(Fault::Timeout);
        action = r.resume();
    }
    assert_eq!(
        r.fault(Fault::Timeout),
        fail("timed out: no data for 60000 ms (3 attempts)")
    );
    // A cut body keeps what came: the retry asks for the rest.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    r.response(&ranged("bytes 0-99/1000"), &mut id);
    r.body(50);
    assert_eq!(
        r.fault(Fault::Network("reset".into())),
        Action::Wait { ms: 100 }
    );
    assert_eq!(r.resume(), req(50, 99));
    r.response(&ranged("bytes 50-99/1000"), &mut id);
    r.body(10);
    r.fault(Fault::Timeout);
    r.resume();
    r.response(&ranged("bytes 60-99/1000"), &mut id);
    r.body(5);
    assert_eq!(
        r.fault(Fault::Network("reset".into())),
        fail("truncated response: expected 40 bytes at offset 60, got 5 (network error: reset) (3 attempts)")
    );
    // A body that ends early (no error) is cut too.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    r.response(&ranged("bytes 0-99/1000"), &mut id);
    r.body(50);
    assert_eq!(r.end(&mut id), Action::Wait { ms: 100 });
    // Once all the body announced is there, a failure after is no loss.
    let (mut r, mut id) = (read(0, 100), Identity::default());
    r.start();
    r.response(&ranged("bytes 0-99/1000"), &mut id);
    r.body(100);
    assert_eq!(r.fault(Fault::Network("reset".into())), Action::Done);
}

#[test]
fn server_errors_are_retried_natively_and_final_through_fetch() {
    let busy = head(503, &[("reason", "Service Unavailable")]);
    let mut r = read(0, 10);
    let mut action = r.start();
    for _ in 0..2 {
        assert_eq!(action, req(0, 9));
        assert!(matches!(
            r.response(&busy, &mut Identity::default()),
            Action::Wait { .. }
        ));
        action = r.resume();
    }
    assert_eq!(
        r.response(&busy, &mut Identity::default()),
        fail("HTTP 503 Service Unavailable (3 attempts)")
    );
    let mut r = RangeRead::new(0, 10, rules(Host::Fetch));
    r.start();
    assert_eq!(
        r.response(
            &head(500, &[("reason", "Internal Server Error")]),
            &mut Identity::default()
        ),
        fail("HTTP 500 Internal Server Error")
    );
    // Other statuses are final everywhere; a reason phrase is shown escaped, or left out.
    let mut r = read(0, 10);
    r.start();
    assert_eq!(
        r.response(
            &head(404, &[("reason", "Not\u{7}Found")]),
            &mut Identity::default()
        ),
        fail("HTTP 404 Not\\x07Found")
    );
    let mut r = read(0, 10);
    r.start();
    assert_eq!(
        r.response(&head(302, &[]), &mut Identity::default()),
        fail("HTTP 302")
    );
}

#[test]
fn redirect_loops_bad_urls_and_tls_errors_fail_at_once() {
    for (fault, want) in [
        (Fault::TooManyRedirects, "too many redirects (more than 5)"),
        (
            Fault::BadUrl("bad host".into()),
            "not a valid URL: bad host",
        ),
        (
            Fault::Tls("bad certificate".into()),
            "TLS error: bad certificate",
        ),
    ] {
        let mut r = read(0, 10);
        r.start();
        assert_eq!(r.fault(fault), fail(want));
    }
}

#[test]
fn encoded_bodies_are_refused_unless_the_client_decodes_them() {
    let gz = head(206, &[("range", "bytes 0-9/100"), ("encoding", "gzip")]);
    let mut r = read(0, 10);
    r.start();
    assert_eq!(
        r.response(&gz, &mut Identity::default()),
        fail(
            "the server sent an encoded body (Content-Encoding: gzip) instead of the file's bytes"
        )
    );
    let identity = head(206, &[("range", "bytes 0-9/100"), ("encoding", "Identity")]);
    let mut r = read(0, 10);
    r.start();
    assert_eq!(r.response(&identity, &mut Identity::default()), body(10));
    // fetch decodes: the body is taken, a decoding failure is final, and a whole body's
    // Content-Length (the encoded size) is not its length.
    let mut r = RangeRead::new(0, 10, rules(Host::Fetch));
    r.start();
    assert_eq!(r.response(&gz, &mut Identity::default()), body(10));
    assert_eq!(
        r.fault(Fault::Decode("incorrect header check".into())),
        fail("cannot decode the response (Content-Encoding: gzip): incorrect header check")
    );
    let mut r = RangeRead::new(0, 10, rules(Host::Fetch));
    r.start();
    let h = head(200, &[("length", "10"), ("encoding", "br")]);
    assert_eq!(
        r.response(&h, &mut Identity::default()),
        whole(WHOLE_FILE_LIMIT + 1)
    );
}

#[test]
fn out_of_turn_calls_fail_instead_of_panicking() {
    let mut r = read(0, 10);
    assert_eq!(r.body(5), (0, fail("internal error: body out of turn")));
    let mut r = read(0, 10);
    r.start();
    assert_eq!(r.resume(), fail("internal error: resume out of turn"));
    let mut r = read(0, 10);
    r.start();
    assert_eq!(r.start(), fail("internal error: start out of turn"));
    assert!(!Action::Done.reads_body() && body(1).reads_body());
}
