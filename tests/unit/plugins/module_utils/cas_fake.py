# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory CAS order book that answers like the RPC API, for the module-logic tests.

``FakeCasApi.call`` has the signature of ``RpcClient.call``, so a ``CasClient`` can run
on it directly; ``FakeSession`` puts it behind a real ``RpcClient`` when the retry and
reconcile path itself is under test.
"""

from __future__ import annotations

import datetime
import json
import time
from urllib.parse import parse_qsl, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy

DAY_MS = 86400 * 1000
NOW_MS = 1_790_000_000_000  # a fixed "now" so expiry arithmetic is exact
PRIVATE_KEY_PEM = "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-never-show-0042\n-----END PRIVATE KEY-----\n"
WRITE_ACTIONS = ("CreateCertificateRequest", "CreateCertificateWithCsrRequest", "CancelOrderRequest",
                 "DeleteCertificateRequest", "UpdateInstance", "ApplyCertificate", "CancelPendingCertificate",
                 "CreateContact")
LIST_STATUS = {"domain_verify": "CHECKING", "process": "CHECKING", "verify_fail": "CHECKED_FAIL", "payed": "PAYED"}
NOW = datetime.datetime.fromtimestamp(NOW_MS / 1000, tz=datetime.timezone.utc)


def make_certificate(common_name, days=90, public_key=None, not_after=None):
    """A leaf for ``public_key`` (a new key when None) valid ``days`` until ``not_after``
    (default: ``days`` from 2026-09-01), plus a certificate standing in for the intermediate."""
    blocks = []
    not_after = not_after or datetime.datetime(2026, 9, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=days)
    for name, subject_key in ((common_name, public_key), ("Fake Intermediate CA", None)):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(subject_key or key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_after - datetime.timedelta(days=days)).not_valid_after(not_after)
                .sign(key, hashes.SHA256()))
        blocks.append(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    return "".join(blocks)


def make_csr(common_name, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


class FakeCasApi:
    """Orders of one account, a call log, and a few switches for the behaviours under test.

    The switches mirror the emulator's for what the API leaves UNCONFIRMED:
    ``site_region`` (the region part of every CertIdentifier: cn-hangzhou on the China site,
    ap-southeast-1 on the international one; the code under test must take it from CAS),
    ``fresh_list_status`` (how a domain_verify order is listed: CHECKING or PAYED) and
    ``cancel_mode`` (``async``: a cancel shows, and lets the order be deleted, only after one
    more read of the order), and ``list_lag`` (a created order is missing from that many
    of the lists that follow).
    """

    def __init__(self, record_domain_style="zone", zone="example.com", page_size=None, fresh_list_status="CHECKING",
                 cancel_mode="sync", list_lag=0, site_region="cn-hangzhou"):
        self.site_region = site_region
        self.orders = {}
        self.list_lag = list_lag
        self.list_calls = 0
        self.material = {}  # order id -> {"public_key", "csr", "certificate"}: what CAS keeps, never listed
        self.fresh_list_status = fresh_list_status
        self.cancel_mode = cancel_mode
        self.cancelling = {}  # order id -> reads left before an asynchronous cancel shows
        self.calls = []
        self.refused = []  # indexes in calls of the calls the API refused
        self.next_id = 98987582437920968
        self.record_domain_style = record_domain_style
        self.zone = zone
        self.page_size = page_size  # overrides ShowSize, to force paging with few orders
        self.packages = {"digicert-free-1-free": (20, 0, 0)}
        self.errors = {}  # action -> AlibabaCloudError raised (once) instead of answering
        self.progress = {}  # order id -> the Types the next DescribeCertificateState calls move it through
        # V2.0: instances of the same account, and its contacts.
        self.instances = {}
        self.instance_material = {}  # instance id -> {"public_key", "certificate", "days_left", "reads"}
        self.contacts = []
        self.validation_reads = 0  # GetInstanceDetail reads after ApplyCertificate without records
        self.cancel_status = "normal"  # where a withdrawal leaves the instance (UNCONFIRMED: normal|inactive)
        self.retry_policy = RetryPolicy(rng=lambda: 0.0)

    # --- set-up helpers ---------------------------------------------------------------------
    def add_order(self, domain, kind="domain_verify", product_code="digicert-free-1-free",
                  days_left=None, buy_ms=None, validate_type="DNS", status=None, csr_key=None, certificate=True,
                  hidden_lists=0):
        """An order; ``days_left`` sets both the list's CertEndTime and the certificate's notAfter
        (a certificate without it is valid 90 days and the list shows no dates). ``csr_key``: the
        order came from a CSR with that public key (no PrivateKey is returned); ``certificate=False``:
        CAS returns no certificate for the issued order; ``hidden_lists``: the next lists omit it."""
        order_id = self.next_id
        self.next_id += 1
        order = {
            "OrderId": order_id, "Domain": domain, "ProductCode": product_code, "ProductName": "Fake plan",
            "BuyDate": buy_ms or NOW_MS - DAY_MS + order_id % 1000, "CertType": "DV", "DomainType": "ONE",
            "InstanceId": "cas-ivauto-%d" % (order_id % 1000), "Type": kind, "ValidateType": validate_type,
            "ListStatus": status,
        }
        if days_left is not None:
            order["CertStartTime"] = NOW_MS - 60 * DAY_MS
            order["CertEndTime"] = int(NOW_MS + days_left * DAY_MS)
        self.orders[order_id] = order
        self.material[order_id] = {"public_key": csr_key or ec.generate_private_key(ec.SECP256R1()).public_key(),
                                   "csr": csr_key is not None, "certificate": None, "days_left": days_left,
                                   "issued": certificate, "hidden_until": self.list_calls + hidden_lists}
        return order_id

    def poll(self, probe):
        """RpcClient.poll without the waits."""
        for _read in range(5):
            found = probe()
            if found is not None:
                return found
        return None

    def writes(self):
        return [action for action, _params in self.calls if action in WRITE_ACTIONS]

    def actions(self):
        return [action for action, _params in self.calls]

    # --- the API ------------------------------------------------------------------------------
    def call(self, action, params=None, reconcile=None):
        params = {key: value for key, value in (params or {}).items() if value is not None}
        return self.handle(action, params)

    def handle(self, action, params):
        self.calls.append((action, dict(params)))
        try:
            if action in self.errors:
                raise self.errors.pop(action)
            return getattr(self, "_" + action)(params)
        except AlibabaCloudError:
            self.refused.append(len(self.calls) - 1)
            raise

    def accepted_writes(self):
        """The writes the service carried out: a refused one (no quota, say) changed nothing."""
        return [action for index, (action, _params) in enumerate(self.calls)
                if action in WRITE_ACTIONS and index not in self.refused]

    def _status(self, order):
        if order["ListStatus"]:
            return order["ListStatus"]
        if order["Type"] == "certificate":
            left = order.get("CertEndTime", NOW_MS + 90 * DAY_MS) - NOW_MS
            if left <= 0:
                return "EXPIRED"
            return "WILLEXPIRED" if left <= 30 * DAY_MS else "ISSUED"
        if order["Type"] == "domain_verify":
            return self.fresh_list_status
        return LIST_STATUS.get(order["Type"], "UNKNOWN")

    def _ListUserCertificateOrder(self, params):
        keyword = params.get("Keyword", "").lower()
        self.list_calls += 1
        items = []
        for order in sorted(self.orders.values(), key=lambda o: o["OrderId"], reverse=True):
            if keyword and keyword not in order["Domain"].lower():
                continue
            if self.material[order["OrderId"]]["hidden_until"] >= self.list_calls:
                continue
            status = self._status(order)
            if params.get("Status") and params["Status"] != status:
                continue
            item = {key: value for key, value in order.items() if key not in ("Type", "ValidateType", "ListStatus")}
            item["Status"] = status
            items.append(item)
        size = self.page_size or int(params.get("ShowSize", 50))
        page = int(params.get("CurrentPage", 1))
        return {"CertificateOrderList": items[(page - 1) * size:page * size], "CurrentPage": page,
                "ShowSize": size, "TotalCount": len(items)}

    def _order(self, params):
        order = self.orders.get(int(params["OrderId"]))
        if order is None:
            raise AlibabaCloudError("The order does not exist.", code="NotFoundOrder", http_status=404,
                                    action="x")
        return order

    def record_domain(self, domain):
        base = domain[2:] if domain.startswith("*.") else domain
        if self.record_domain_style == "domain" or base == self.zone:
            return "_dnsauth"
        return "_dnsauth." + base[:-(len(self.zone) + 1)]

    def _DescribeCertificateState(self, params):
        order = self._order(params)
        if self.progress.get(order["OrderId"]):
            order["Type"] = self.progress[order["OrderId"]].pop(0)
        self._read_while_cancelling(order)
        answer = {"Type": order["Type"], "RequestId": "req"}
        if order["Type"] == "domain_verify":
            answer["ValidateType"] = order["ValidateType"]
            if order["ValidateType"] == "DNS":
                answer.update(RecordType="TXT", RecordDomain=self.record_domain(order["Domain"]),
                              RecordValue="token-%d" % order["OrderId"])
            else:
                answer.update(Domain=order["Domain"], Uri="/.well-known/pki-validation/fileauth.txt",
                              Content="token-%d" % order["OrderId"])
        elif order["Type"] == "certificate" and self.material[order["OrderId"]]["issued"]:
            material = self.material[order["OrderId"]]
            if material["certificate"] is None:
                days_left = 90 if material["days_left"] is None else material["days_left"]
                material["certificate"] = make_certificate(
                    order["Domain"], public_key=material["public_key"], not_after=NOW + datetime.timedelta(days=days_left))
            answer.update(Certificate=material["certificate"], CertId="12000001")
            if not material["csr"]:
                answer["PrivateKey"] = PRIVATE_KEY_PEM
        return answer

    def order_certificate_detail(self, params):
        """GetUserCertificateDetail of an issued V1.0 order (every order's CertId is 12000001), or None."""
        issued = [order for order in self.orders.values()
                  if order["Type"] == "certificate" and self.material[order["OrderId"]]["certificate"]]
        if str(params["CertId"]) != "12000001" or not issued:
            return None
        answer = {"Id": 12000001, "OrderId": issued[0]["OrderId"], "CertIdentifier": "12000001-" + self.site_region}
        if params.get("CertFilter") != "true":
            answer["Cert"] = self.material[issued[0]["OrderId"]]["certificate"]
        return answer

    def _read_while_cancelling(self, order):
        """An asynchronous cancel: the first read after it still sees the old state, the next one the cancel."""
        order_id = order["OrderId"]
        if order_id not in self.cancelling:
            return
        if self.cancelling[order_id] > 0:
            self.cancelling[order_id] -= 1
            return
        del self.cancelling[order_id]
        order["Type"] = "payed"

    def _create(self, params, domain):
        product_code = params.get("ProductCode") or "digicert-free-1-free"
        total, used, issued = self.packages.get(product_code, (0, 0, 0))
        if used >= total:
            raise AlibabaCloudError("No quota", code="NotRemainCount", http_status=404, action="create")
        self.packages[product_code] = (total, used + 1, issued)
        csr_key = x509.load_pem_x509_csr(params["Csr"].encode("ascii")).public_key() if "Csr" in params else None
        order_id = self.add_order(domain, product_code=product_code, buy_ms=int(time.time() * 1000),
                                  validate_type=params["ValidateType"], csr_key=csr_key, hidden_lists=self.list_lag)
        self.orders[order_id]["Tags"] = {k: v for k, v in params.items() if k.startswith("Tags.")}
        return {"OrderId": order_id, "RequestId": "req"}

    def _CreateCertificateRequest(self, params):
        return self._create(params, params["Domain"])

    def _CreateCertificateWithCsrRequest(self, params):
        csr = x509.load_pem_x509_csr(params["Csr"].encode("ascii"))
        return self._create(params, csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)

    def _CancelOrderRequest(self, params):
        order = self._order(params)
        if order["Type"] not in ("domain_verify", "process"):
            raise AlibabaCloudError("state", code="OrderStateError", http_status=403, action="CancelOrderRequest")
        if self.cancel_mode == "async":
            self.cancelling[order["OrderId"]] = 1
        else:
            order["Type"] = "payed"
        return {"RequestId": "req"}

    def _DeleteCertificateRequest(self, params):
        order = self._order(params)
        if order["Type"] not in ("verify_fail", "payed"):
            raise AlibabaCloudError("state", code="OrderStateError", http_status=403,
                                    action="DeleteCertificateRequest")
        del self.orders[order["OrderId"]]
        return {"RequestId": "req"}

    def _DescribePackageState(self, params):
        code = params.get("ProductCode")
        if code not in self.packages:
            raise AlibabaCloudError("No package", code="NotFoundPackage", http_status=404,
                                    action="DescribePackageState")
        total, used, issued = self.packages[code]
        return {"ProductCode": code, "TotalCount": total, "UsedCount": used, "IssuedCount": issued}

    # --- V2.0 instances -----------------------------------------------------------------------
    def add_instance(self, instance_type="TEST", full=1, wildcard=0, status="inactive", domains=None,
                     end_days=180, counts=True, **fields):
        """An instance; ``counts=False`` leaves FullDomainCount/WildcardDomainCount out, as
        some answers may. Returns its id."""
        instance_id = "cas-cn-fake%03d" % (len(self.instances) + 1)
        instance = {"InstanceId": instance_id, "InstanceType": instance_type, "Status": status,
                    "Domain": ",".join(domains or []), "Spec": "ss.dv.t" if instance_type == "TEST" else "ws.dv.f",
                    "InstanceStartTime": NOW_MS - DAY_MS, "InstanceEndTime": NOW_MS + end_days * DAY_MS,
                    "CertificateStatus": ""}
        if counts:
            instance.update(FullDomainCount=full, WildcardDomainCount=wildcard)
        instance.update(fields)
        self.instances[instance_id] = instance
        self.instance_material[instance_id] = {"public_key": None, "certificate": None, "days_left": 90, "reads": 0}
        return instance_id

    def issue_instance(self, instance_id, days_left=90):
        """The CA issues the pending application (validation done)."""
        instance = self.instances[instance_id]
        material = self.instance_material[instance_id]
        instance.update(Status="normal", CertificateStatus="issued", CertificateId=int(instance_id[-3:]) + 7000)
        instance["CertIdentifier"] = "%d-%s" % (instance["CertificateId"], self.site_region)
        instance.pop("DomainValidationList", None)
        material["days_left"] = days_left
        if material["public_key"] is None:
            material["public_key"] = ec.generate_private_key(ec.SECP256R1()).public_key()
        material["certificate"] = make_certificate(
            instance["Domain"].split(",")[0], public_key=material["public_key"],
            not_after=NOW + datetime.timedelta(days=days_left))

    def _instance(self, params):
        instance = self.instances.get(params["InstanceId"])
        if instance is None:
            raise AlibabaCloudError("gone", code="NotFound", http_status=404, action="x")
        return instance

    def _ListInstances(self, params):
        keyword = params.get("Keyword", "").lower()
        items = [dict(i) for i in self.instances.values()
                 if keyword in i["Domain"] + i["InstanceId"]
                 and params.get("Status") in (None, i["Status"])
                 and params.get("InstanceType") in (None, i["InstanceType"])]
        for item in items:
            item.pop("DomainValidationList", None)
        size = int(params.get("ShowSize", 10))
        page = int(params.get("CurrentPage", 1))
        return {"InstanceList": items[(page - 1) * size:page * size], "TotalCount": len(items)}

    def _GetInstanceDetail(self, params):
        instance = self._instance(params)
        material = self.instance_material[instance["InstanceId"]]
        if instance["Status"] == "pending" and "cancel_reads" in material:
            if material["cancel_reads"] > 0:
                material["cancel_reads"] -= 1
            else:
                del material["cancel_reads"]
                instance["Status"] = self.cancel_status
                instance.pop("DomainValidationList", None)
        if instance["Status"] == "pending" and "DomainValidationList" not in instance and \
                "cancel_reads" not in material and not material.get("validated"):
            if material["reads"] >= self.validation_reads:
                instance["DomainValidationList"] = [
                    {"Domain": name, "RootDomain": self.zone, "ValidationType": "TXT",
                     "ValidationKey": self.record_domain(name), "ValidationValue": "token-%s" % name}
                    for name in instance["Domain"].split(",")]
            material["reads"] += 1
        return dict(instance)

    def _UpdateInstance(self, params):
        instance = self._instance(params)
        if instance["Status"] != "inactive":
            raise AlibabaCloudError("busy", code="OperationDenied.StatusNotSupport", http_status=400,
                                    action="UpdateInstance")
        for field in ("Domain", "Csr", "GenerateCsrMethod", "KeyAlgorithm", "ValidationMethod"):
            if field in params:
                instance[field] = params[field]
        contact_ids = [int(v) for k, v in sorted(params.items()) if k.startswith("ContactIdList.")]
        if contact_ids:
            instance["ContactIdList"] = contact_ids
        return {"RequestId": "req"}

    def _ApplyCertificate(self, params):
        instance = self._instance(params)
        if instance["Status"] != "inactive":
            raise AlibabaCloudError("busy", code="OperationDenied.StatusNotSupport", http_status=400,
                                    action="ApplyCertificate")
        instance["Status"] = "pending"
        material = self.instance_material[instance["InstanceId"]]
        material["reads"] = 0
        if instance.get("GenerateCsrMethod") == "upload":
            material["public_key"] = x509.load_pem_x509_csr(instance["Csr"].encode("ascii")).public_key()
        return {"RequestId": "req"}

    def _CancelPendingCertificate(self, params):
        instance = self._instance(params)
        material = self.instance_material[instance["InstanceId"]]
        if instance["Status"] != "pending" or "cancel_reads" in material:
            raise AlibabaCloudError("no", code="OperationDenied.StatusNotSupport", http_status=400,
                                    action="CancelPendingCertificate")
        material["cancel_reads"] = 1
        return {"RequestId": "req"}

    def _GetUserCertificateDetail(self, params):
        for instance_id, instance in self.instances.items():
            if instance.get("CertificateId") == int(params["CertId"]):
                answer = {"Id": instance["CertificateId"], "InstanceId": instance_id,
                          "CertIdentifier": "%d-%s" % (instance["CertificateId"], self.site_region)}
                if params.get("CertFilter") != "true":
                    answer["Cert"] = self.instance_material[instance_id]["certificate"]
                    if instance.get("GenerateCsrMethod") != "upload":
                        answer["Key"] = PRIVATE_KEY_PEM
                return answer
        answer = self.order_certificate_detail(params)
        if answer is not None:
            return answer
        raise AlibabaCloudError("gone", code="NotFound", http_status=404, action="GetUserCertificateDetail")

    def _ListContact(self, params):
        keyword = params.get("Keyword", "").lower()
        items = [{"ContactId": c["ContactId"], "Name": c["Name"], "Mobile": c["Mobile"][:3] + "******" +
                  c["Mobile"][-2:], "Email": c.get("Email")} for c in self.contacts if keyword in c["Name"].lower()]
        return {"ContactList": items, "TotalCount": len(items)}

    def _CreateContact(self, params):
        if any(c["Name"] == params["Name"] for c in self.contacts):
            raise AlibabaCloudError("exists", code="AlreadyExists.Name", http_status=400, action="CreateContact")
        contact = {"ContactId": 500 + len(self.contacts), "Name": params["Name"], "Mobile": params["Mobile"],
                   "Email": params.get("Email")}
        self.contacts.append(contact)
        return {"ContactId": contact["ContactId"], "RequestId": "req"}


class FakeResponse:
    def __init__(self, status_code, body):
        self.status_code = status_code
        self.content = json.dumps(body).encode("utf-8")
        self.headers = {"Content-Type": "application/json"}

    def json(self):
        return json.loads(self.content)


class FakeSession:
    """A requests.Session stand-in that hands signed requests to a FakeCasApi.

    ``lose`` names actions whose next answer is lost after the action took effect, as
    when a connection drops on the way back.
    """

    def __init__(self, api, lose=()):
        self.api = api
        self.lose = list(lose)
        self.headers = {}

    def post(self, url, timeout=None, verify=None):
        params = dict(parse_qsl(urlsplit(url).query))
        action = params.pop("Action")
        for name in ("Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                     "Timestamp", "Signature", "SecurityToken"):
            params.pop(name, None)
        try:
            answer = self.api.handle(action, params)
        except AlibabaCloudError as error:
            return FakeResponse(error.http_status or 400, {"Code": error.code, "Message": error.message})
        if action in self.lose:
            self.lose.remove(action)
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return FakeResponse(200, answer)
