from devstack.locust_summary import format_summary, read_stats

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def test_summary_lists_each_endpoint(tmp_path):
    stats = tmp_path / "run_stats.csv"
    stats.write_text(
        HEADER + "\n"
        "GET,/api/v1/products/[id],1200,0,4,5.1,1,40,300,20.04,0,4,5,5,6,8,11,15,19,35,40,40\n"
        "POST,/api/v1/orders,90,2,30,33,12,200,400,1.5,0.03,30,34,36,38,45,60,90,120,200,200,200\n"
        ",Aggregated,1290,2,5,7,1,200,310,21.54,0.03,5,6,6,7,10,14,30,45,180,200,200\n"
    )

    lines = format_summary(read_stats(stats)).splitlines()

    assert lines[0].split() == ["endpoint", "requests", "failures", "req/s", "p50", "ms", "p95",
                                "ms", "p99", "ms"]
    assert lines[1].split() == [
        "GET", "/api/v1/products/[id]", "1200", "0", "20.0", "4", "11", "19"
    ]
    assert lines[2].split() == ["POST", "/api/v1/orders", "90", "2", "1.5", "30", "60", "120"]
    assert lines[3].split() == ["Aggregated", "1290", "2", "21.5", "5", "14", "45"]
