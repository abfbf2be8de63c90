"""The CLB service (SLB 2014-05-15): listeners, SNI extensions, regional server certificates,
its documented errors, the international wrapping switch both ways, and the edge material."""

import pytest

from tests.emulator import certificates

CLB_VERSION = "2014-05-15"
ACCOUNT = "1234567890123456"


@pytest.fixture
def cas_ids(emu):
    """Three issued CAS certificates of the demo account (www0/www1/www2.example.com)."""
    created = emu.control._post("orders/bulk", account_id=ACCOUNT, count=3, domain_format="www{index}.example.com")
    with emu.state.lock:
        return [int(emu.state.orders[order_id].cert_id) for order_id in created["order_ids"]]


def seed(emu, **body):
    return emu.control._call("POST", "products/clb/load_balancers", body)


def clb_settings(emu, **body):
    return emu.control._call("POST", "products/clb/settings", body)


def clb(api, action, **params):
    return api.call(action, CLB_VERSION, **params)


@pytest.fixture
def balancer(emu, cas_ids):
    return seed(emu, region="cn-shanghai", load_balancer_id="lb-test0001", listeners=[
        {"port": 443, "certificate_id": cas_ids[0],
         "domain_extensions": [{"domain": "www1.example.com", "certificate_id": cas_ids[1]}]},
        {"port": 80, "protocol": "http"}])


def test_seed_wraps_cas_certificates_and_the_listener_reads_them(emu, api, cas_ids, balancer):
    (listener, _http) = balancer["listeners"]
    answer = api.ok(clb(api, "DescribeLoadBalancerHTTPSListenerAttribute", RegionId="cn-shanghai",
                        LoadBalancerId="lb-test0001", ListenerPort=443))
    assert answer["ServerCertificateId"] == listener["server_certificate_id"]
    assert (answer["ListenerPort"], answer["Bandwidth"], answer["Status"]) == (443, -1, "running")
    (extension,) = answer["DomainExtensions"]["DomainExtension"]
    assert extension["Domain"] == "www1.example.com"
    listed = api.ok(clb(api, "DescribeServerCertificates", RegionId="cn-shanghai"))["ServerCertificates"]
    by_id = {c["ServerCertificateId"]: c for c in listed["ServerCertificate"]}
    wrapper = by_id[listener["server_certificate_id"]]
    assert (wrapper["IsAliCloudCertificate"], wrapper["AliCloudCertificateId"]) == (1, str(cas_ids[0]))
    assert wrapper["SubjectAlternativeNames"]["SubjectAlternativeName"] == ["www0.example.com"]
    assert wrapper["RegionId"] == "cn-shanghai" and len(wrapper["Fingerprint"].split(":")) == 20
    assert api.ok(clb(api, "DescribeServerCertificates", RegionId="cn-beijing"))["ServerCertificates"] == \
        {"ServerCertificate": []}


def test_each_upload_makes_a_new_server_certificate(emu, api, cas_ids):
    params = {"RegionId": "cn-shanghai", "AliCloudCertificateId": cas_ids[2], "AliCloudCertificateName": "cert",
              "AliCloudCertificateRegionId": "cn-hangzhou"}
    first = api.ok(clb(api, "UploadServerCertificate", **params))
    second = api.ok(clb(api, "UploadServerCertificate", **params))
    assert first["ServerCertificateId"] != second["ServerCertificateId"]
    assert (first["IsAliCloudCertificate"], first["AliCloudCertificateId"]) == (1, str(cas_ids[2]))
    listed = api.ok(clb(api, "DescribeServerCertificates", RegionId="cn-shanghai"))
    assert len(listed["ServerCertificates"]["ServerCertificate"]) == 2


def test_pem_upload_and_a_key_that_does_not_match(emu, api, cas_ids):
    with emu.state.lock:
        first = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[0])
        other = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[1])
    uploaded = api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", ServerCertificateName="mine",
                          ServerCertificate=first.certificate_pem, PrivateKey=first.private_key_pem))
    assert (uploaded["IsAliCloudCertificate"], uploaded["ServerCertificateName"]) == (0, "mine")
    assert "AliCloudCertificateId" not in uploaded
    # orders/bulk issues every order on one key, so a foreign key needs a fresh one.
    from tests.emulator.ca import generate_rsa_key, private_key_pem
    mismatched = clb(api, "UploadServerCertificate", RegionId="cn-shanghai", ServerCertificate=other.certificate_pem,
                     PrivateKey=private_key_pem(generate_rsa_key()))
    assert api.error(mismatched, 400) == "InvalidParameter"
    assert api.error(clb(api, "UploadServerCertificate", RegionId="cn-shanghai"), 400) == "MissingParameter"
    assert api.error(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", ServerCertificateName="1bad",
                         ServerCertificate=first.certificate_pem, PrivateKey=first.private_key_pem), 400) \
        == "InvalidParameter"


def test_set_listener_changes_only_the_certificate(emu, api, cas_ids, balancer):
    emu.control._call("POST", "products/clb/load_balancers", {
        "region": "cn-shanghai", "load_balancer_id": "lb-custom", "listeners": [
            {"port": 8443, "certificate_id": cas_ids[0], "settings": {"Bandwidth": 50, "StickySession": "on"}}]})
    before = api.ok(clb(api, "DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId="lb-custom",
                        ListenerPort=8443))
    new = api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", AliCloudCertificateId=cas_ids[2],
                     AliCloudCertificateName="c"))["ServerCertificateId"]
    api.ok(clb(api, "SetLoadBalancerHTTPSListenerAttribute", RegionId="cn-shanghai", LoadBalancerId="lb-custom",
               ListenerPort=8443, ServerCertificateId=new))
    after = api.ok(clb(api, "DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId="lb-custom",
                       ListenerPort=8443))
    assert after["ServerCertificateId"] == new
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"ServerCertificateId", "RequestId"}
    assert (after["Bandwidth"], after["StickySession"]) == (50, "on")


def test_set_domain_extension(emu, api, cas_ids, balancer):
    extension = balancer["listeners"][0]["domain_extensions"][0]
    new = api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", AliCloudCertificateId=cas_ids[2],
                     AliCloudCertificateName="c"))["ServerCertificateId"]
    api.ok(clb(api, "SetDomainExtensionAttribute", RegionId="cn-shanghai",
               DomainExtensionId=extension["domain_extension_id"], ServerCertificateId=new))
    listed = api.ok(clb(api, "DescribeDomainExtensions", RegionId="cn-shanghai", LoadBalancerId="lb-test0001",
                        ListenerPort=443))["DomainExtensions"]["DomainExtension"]
    assert [(e["Domain"], e["ServerCertificateId"]) for e in listed] == [("www1.example.com", new)]


ERRORS = {
    "unknown load balancer": (lambda ids, ext: ("DescribeLoadBalancerHTTPSListenerAttribute", {
        "LoadBalancerId": "lb-nowhere", "ListenerPort": 443}), "InvalidLoadBalancerId.NotFound"),
    "load balancer of another region": (lambda ids, ext: ("DescribeDomainExtensions", {
        "RegionId": "cn-beijing", "LoadBalancerId": "lb-test0001", "ListenerPort": 443}),
        "InvalidLoadBalancerId.NotFound"),
    "unknown listener": (lambda ids, ext: ("DescribeLoadBalancerHTTPSListenerAttribute", {
        "LoadBalancerId": "lb-test0001", "ListenerPort": 8443}), "InvalidParameter"),
    "http listener": (lambda ids, ext: ("SetLoadBalancerHTTPSListenerAttribute", {
        "LoadBalancerId": "lb-test0001", "ListenerPort": 80, "ServerCertificateId": "x"}), "InvalidParameter"),
    "unknown extension": (lambda ids, ext: ("SetDomainExtensionAttribute", {
        "RegionId": "cn-shanghai", "DomainExtensionId": "de-nowhere", "ServerCertificateId": "x"}),
        "InvalidParameter.DomainExtensionId"),
    "unknown server certificate": (lambda ids, ext: ("SetDomainExtensionAttribute", {
        "RegionId": "cn-shanghai", "DomainExtensionId": ext, "ServerCertificateId": "nope-cn-shanghai"}),
        "ServerCertificateId.NotFound"),
    "CAS id not the account's": (lambda ids, ext: ("UploadServerCertificate", {
        "RegionId": "cn-shanghai", "AliCloudCertificateId": 999, "AliCloudCertificateName": "c"}),
        "InvalidParameter"),
    "wrong CAS region": (lambda ids, ext: ("UploadServerCertificate", {
        "RegionId": "cn-shanghai", "AliCloudCertificateId": ids[0], "AliCloudCertificateName": "c",
        "AliCloudCertificateRegionId": "ap-southeast-1"}), "InvalidParameter"),
    "missing region": (lambda ids, ext: ("DescribeServerCertificates", {}), "MissingParameter"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_documented_errors(emu, api, cas_ids, balancer, case):
    build, code = ERRORS[case]
    action, params = build(cas_ids, balancer["listeners"][0]["domain_extensions"][0]["domain_extension_id"])
    assert api.error(clb(api, action, **params), 400) == code


def test_server_certificate_of_another_region_is_not_found(emu, api, cas_ids, balancer):
    beijing = api.ok(clb(api, "UploadServerCertificate", RegionId="cn-beijing", AliCloudCertificateId=cas_ids[2],
                         AliCloudCertificateName="c"))["ServerCertificateId"]
    refused = clb(api, "SetLoadBalancerHTTPSListenerAttribute", RegionId="cn-shanghai", LoadBalancerId="lb-test0001",
                  ListenerPort=443, ServerCertificateId=beijing)
    assert api.error(refused, 400) == "ServerCertificateId.NotFound"


def test_another_accounts_load_balancer_is_not_found(emu, make_api, cas_ids, balancer):
    emu.control.add_account("9999999999999999", "LTAIOtherAccount01", "other-secret")
    other = make_api("LTAIOtherAccount01", "other-secret")
    refused = clb(other, "DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId="lb-test0001", ListenerPort=443)
    assert other.error(refused, 400) == "InvalidLoadBalancerId.NotFound"
    listed = other.ok(clb(other, "DescribeServerCertificates", RegionId="cn-shanghai"))
    assert listed["ServerCertificates"]["ServerCertificate"] == []


@pytest.mark.parametrize("refused", [True, False])
def test_international_wrapping_switch(emu, api, cas_ids, refused):
    emu.control.settings(cas_site="international")
    assert clb_settings(emu, international_wrap_refused=refused) == {"international_wrap_refused": refused}
    answer = clb(api, "UploadServerCertificate", RegionId="ap-southeast-1", AliCloudCertificateId=cas_ids[0],
                 AliCloudCertificateName="c", AliCloudCertificateRegionId="ap-southeast-1")
    if refused:
        assert api.error(answer, 400) == "InvalidParameter.AliCloudCertificateId"
    else:
        assert api.ok(answer)["IsAliCloudCertificate"] == 1
    # The China site always wraps, whatever the switch says.
    emu.control.settings(cas_site="china")
    assert api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", AliCloudCertificateId=cas_ids[0],
                      AliCloudCertificateName="c"))["IsAliCloudCertificate"] == 1


def test_switch_is_reset_and_checked(emu):
    clb_settings(emu, international_wrap_refused=False)
    emu.control.reset("demo")
    assert emu.control._call("GET", "products/clb")["settings"] == {"international_wrap_refused": True}
    with pytest.raises(Exception, match="unknown clb setting"):
        clb_settings(emu, wrap=True)


def test_seed_errors_name_the_problem(emu, cas_ids):
    with pytest.raises(Exception, match="region"):
        seed(emu, listeners=[])
    with pytest.raises(Exception, match="not a certificate"):
        seed(emu, region="cn-shanghai", listeners=[{"port": 443, "certificate_id": 1}])
    with pytest.raises(Exception, match="listeners\\[0\\]"):
        seed(emu, region="cn-shanghai", listeners=[{"certificate_id": cas_ids[0]}])


def test_edge_material_follows_the_listener_and_extensions(emu, api, cas_ids, balancer):
    service = emu.products["clb"]
    with emu.state.lock:
        www0, www1, www2 = (certificates.find_certificate(emu.state, ACCOUNT, i) for i in cas_ids)
    assert service.edge_material("lb-test0001-443.clb.edge.test") == (www0.certificate_pem, www0.private_key_pem)
    assert service.edge_material("WWW1.example.com") == (www1.certificate_pem, www1.private_key_pem)
    assert service.edge_material("lb-test0001-80.clb.edge.test") is None
    assert service.edge_material("nowhere.example.com") is None
    uploaded = api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", ServerCertificate=www2.certificate_pem,
                          PrivateKey=www2.private_key_pem))["ServerCertificateId"]
    api.ok(clb(api, "SetLoadBalancerHTTPSListenerAttribute", LoadBalancerId="lb-test0001", ListenerPort=443,
               ServerCertificateId=uploaded))
    assert service.edge_material("lb-test0001-443.clb.edge.test") == (www2.certificate_pem, www2.private_key_pem)


def test_view_never_shows_private_keys(emu, api, cas_ids, balancer):
    with emu.state.lock:
        www0 = certificates.find_certificate(emu.state, ACCOUNT, cas_ids[0])
    api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", ServerCertificate=www0.certificate_pem,
               PrivateKey=www0.private_key_pem))
    view = emu.control._call("GET", "products/clb")
    assert "PRIVATE KEY" not in repr(view)
    assert len(view["server_certificates"]) == 3


def test_qps_limits_per_action_and_the_generic_setting(emu, api, cas_ids):
    """UNCONFIRMED limits (no SLB page states them): UploadServerCertificate is refused once its
    bucket (10 calls) is empty; reads keep their own bucket; {"qps": 0} lifts every limit."""
    view = emu.control._call("GET", "products/clb")
    assert view["guards"]["documented_qps"]["UploadServerCertificate"] == 10
    assert view["guards"]["documented_qps"]["DescribeServerCertificates"] == 100
    codes = []
    while len(codes) < 60 and "Throttling.User" not in codes:
        response = clb(api, "UploadServerCertificate", RegionId="cn-shanghai",
                       AliCloudCertificateId=str(cas_ids[0]), AliCloudCertificateName="c")
        codes.append(response.json().get("Code"))
    assert codes[-1] == "Throttling.User" and 10 <= codes.count(None) < 60
    assert api.ok(clb(api, "DescribeServerCertificates", RegionId="cn-shanghai"))
    clb_settings(emu, qps=0)
    assert all(api.ok(clb(api, "UploadServerCertificate", RegionId="cn-shanghai", AliCloudCertificateId=str(cas_ids[0]),
                          AliCloudCertificateName="c")) for _call in range(15))
