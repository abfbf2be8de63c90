"""SSL Certificates Service (CAS, ``Version=2020-04-07``): the V1.0 order ("CPACK") flow."""

import datetime
import secrets
import string
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from . import ca as ca_module
from . import certificates, domains
from .errors import ApiError, indexed_tags, int_param, invalid_parameter, require
from .state import Caller, Order, State, now_ms

DEFAULT_PRODUCT_CODE = "digicert-free-1-free"
# DV codes accepted by CreateCertificate[WithCsr]Request. "-w-" marks wildcard products,
# "-1-" single-domain ones (see README for the symantec-dv-1-starter discrepancy).
DV_PRODUCTS = {
    "digicert-free-1-free": ("DigiCert", "DigiCert DV Free (3 months)"),
    "symantec-free-1-free": ("DigiCert", "DigiCert DV Free (1 year)"),
    "symantec-dv-1-starter": ("DigiCert", "DigiCert DV Single Domain"),
    "geotrust-dv-1-starter": ("GeoTrust", "GeoTrust DV Single Domain"),
    "geotrust-dv-w-starter": ("GeoTrust", "GeoTrust DV Wildcard"),
    "globalsign-dv-1-personal": ("GlobalSign", "GlobalSign DV Single Domain"),
    "globalsign-dv-w-advanced": ("GlobalSign", "GlobalSign DV Wildcard"),
}
ORDER_TYPES = ("payed", "domain_verify", "process", "verify_fail", "certificate", "unknow")
LIST_ORDER_TYPES = ("CPACK", "BUY", "UPLOAD", "CERT")
FILE_URI = "/.well-known/pki-validation/fileauth.txt"
DNS_LABEL = "_dnsauth"
ORDER_LIST = "ListUserCertificateOrder"  # the list that setting list_lag makes trail writes
EXPIRY_WARNING_MS = 30 * 86400 * 1000
_ALNUM = string.ascii_lowercase + string.digits


def is_wildcard_product(product_code: str) -> bool:
    return "-w-" in product_code


def _validation_token() -> str:
    """Shaped like real RecordValue examples: a timestamp followed by lower-case noise."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return stamp + "".join(secrets.choice(_ALNUM) for _position in range(50))


def order_not_found() -> ApiError:
    return ApiError(404, "NotFoundOrder", "The order does not exist.")


def order_state_error() -> ApiError:
    return ApiError(403, "OrderStateError", "The current order status does not allow this operation.")


class CasService:
    version = "2020-04-07"
    host_id = "cas.aliyuncs.com"
    product = "Cas"

    def __init__(self, state: State, issuing_ca: ca_module.IssuingCA, alidns) -> None:
        self.state = state
        self.ca = issuing_ca
        self.alidns = alidns
        self.actions = {
            "CreateCertificateRequest": self.create_certificate_request,
            "CreateCertificateWithCsrRequest": self.create_certificate_with_csr_request,
            "DescribeCertificateState": self.describe_certificate_state,
            "ListUserCertificateOrder": self.list_user_certificate_order,
            "CancelOrderRequest": self.cancel_order_request,
            "DeleteCertificateRequest": self.delete_certificate_request,
            "DescribePackageState": self.describe_package_state,
            "GetUserCertificateDetail": self.get_user_certificate_detail,
        }

    # --- creation ---------------------------------------------------------------------------
    def create_certificate_request(self, caller: Caller, params: dict) -> dict:
        domain, email, _phone, _username, validate_type = require(
            params, "Domain", "Email", "Phone", "Username", "ValidateType")
        product_code = self._check_request(domain, email, validate_type, params)
        # Key generation is slow; do it before taking the lock so other calls are not stalled.
        key = ca_module.generate_rsa_key()
        return self._create(caller, params, domain.lower(), product_code, validate_type, key, key.public_key())

    def create_certificate_with_csr_request(self, caller: Caller, params: dict) -> dict:
        csr_pem, email, _phone, _username, validate_type = require(
            params, "Csr", "Email", "Phone", "Username", "ValidateType")
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError:
            raise invalid_parameter("Csr", "The CSR is not a valid PEM certificate request.") from None
        if not csr.is_signature_valid:
            raise invalid_parameter("Csr", "The CSR signature is invalid.")
        if not ca_module.csr_public_key_ok(csr.public_key()):
            raise invalid_parameter("Csr", "The CSR key must be RSA (2048 bits or more) or ECC.")
        common_names = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if not common_names:
            raise invalid_parameter("Csr", "The CSR has no common name (CN); the CN is the certificate domain.")
        domain = str(common_names[0].value)
        product_code = self._check_request(domain, email, validate_type, params)
        return self._create(caller, params, domain.lower(), product_code, validate_type, None, csr.public_key())

    @staticmethod
    def _check_request(domain: str, email: str, validate_type: str, params: dict) -> str:
        product_code = params.get("ProductCode") or DEFAULT_PRODUCT_CODE
        if product_code not in DV_PRODUCTS:
            raise invalid_parameter("ProductCode", "Only DV product codes can be used with this operation.")
        if validate_type not in ("DNS", "FILE"):
            raise invalid_parameter("ValidateType", "Valid values: DNS, FILE.")
        if "@" not in email or not domains.is_hostname(email.rpartition("@")[2]):
            raise invalid_parameter("Email")
        if not domains.is_certificate_domain(domain):
            raise invalid_parameter("Domain", f"'{domain}' is not a valid domain name.")
        wildcard = domain.startswith("*.")
        if wildcard != is_wildcard_product(product_code):
            kind = "a wildcard" if is_wildcard_product(product_code) else "a single"
            raise invalid_parameter(
                "Domain", f"The domain does not match the product {product_code}, which requires {kind} domain.")
        if wildcard and validate_type == "FILE":
            raise invalid_parameter("ValidateType", "FILE validation is not supported for wildcard domains.")
        return product_code

    def _create(self, caller: Caller, params: dict, domain: str, product_code: str,
                validate_type: str, private_key, public_key) -> dict:
        with self.state.lock:
            quota = self.state.quotas.get((caller.account_id, product_code))
            if (quota is None or quota.used >= quota.total) and self.state.settings.quota_refusal == "generic":
                # UNCONFIRMED that CreateCertificateRequest answers the documented codes below (the
                # reference's table is CreateCertificateWithCsrRequest's): this is the table's generic one.
                raise ApiError(403, "CreateCertificateRequestFailed", "Creating the certificate request failed.")
            if quota is None:
                raise ApiError(404, "NotFoundPackage", "No certificate resource plan of this type was purchased.")
            if quota.used >= quota.total:
                raise ApiError(404, "NotRemainCount", "The certificate resource plan has no remaining quota.")
            quota.used += 1
            order = Order(
                order_id=next(self.state.order_ids), account_id=caller.account_id, domain=domain,
                product_code=product_code, validate_type=validate_type, email=params["Email"],
                phone=params["Phone"], username=params["Username"], tags=indexed_tags(params, "Key", "Value"),
                instance_id="cas-ivauto-" + "".join(secrets.choice(_ALNUM) for _position in range(6)),
                aliyun_order_id=next(self.state.aliyun_order_ids), buy_ms=now_ms(),
                record_value=_validation_token(), private_key=private_key, public_key=public_key,
            )
            self.state.orders[order.order_id] = order
            self.state.record_list_change(caller.account_id, ORDER_LIST, order.order_id, None)
            if validate_type == "DNS" and self.state.settings.auto_dns_validation:
                self._publish_own_record(order)
            return {"OrderId": order.order_id}

    def _publish_own_record(self, order: Order) -> None:
        """Automatic DNS validation: CAS writes the TXT record when it hosts the zone itself."""
        fqdn = f"{DNS_LABEL}.{domains.strip_wildcard(order.domain)}"
        zone = self.state.find_zone(fqdn, order.account_id)
        if zone is None:
            return
        params = {"RR": domains.relative_name(fqdn, zone.name), "Type": "TXT", "Value": order.record_value}
        try:
            self.alidns.add_record(order.account_id, zone.name, params)
        except ApiError:
            pass  # e.g. the same record already exists: validation still finds it

    # --- life cycle --------------------------------------------------------------------------
    def advance(self, order: Order) -> None:
        """Move an order along as the CA would: check validation, then issue after the delay."""
        settings = self.state.settings
        if order.cancel_reads_left is not None:
            # cancel_mode=async: this read still sees the order as it was; the next one, cancelled.
            if order.cancel_reads_left > 0:
                order.cancel_reads_left -= 1
                return
            self._cancel_now(order)
            return
        if order.type == "domain_verify" and self._validation_passes(order):
            failing = {d.lower() for d in settings.verify_fail_domains}
            if order.domain in failing or domains.strip_wildcard(order.domain) in failing:
                order.type = "verify_fail"
                return
            order.type = "process"
            order.process_since = time.time()
        if order.type == "process" and time.time() >= (order.process_since or 0) + settings.issue_delay:
            self.issue(order)

    def _validation_passes(self, order: Order) -> bool:
        base = domains.strip_wildcard(order.domain)
        if order.validate_type == "DNS":
            return order.record_value in self.state.public_txt_values(f"{DNS_LABEL}.{base}")
        return order.record_value in self.state.served_file_contents(base, FILE_URI)

    def issue(self, order: Order, not_after: datetime.datetime | None = None) -> None:
        """Sign (or re-sign) the leaf; ``not_after`` lets the control API simulate ageing."""
        validity = self.state.settings.validity()
        if not_after is None:
            not_before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
            not_after = not_before + validity
        else:
            not_before = not_after - validity
        leaf = self.ca.issue(order.public_key, order.domain, not_before, not_after)
        order.certificate = ca_module.cert_pem(leaf) + self.ca.intermediate_pem
        if order.private_key is not None and order.private_key_pem is None:
            order.private_key_pem = ca_module.private_key_pem(order.private_key)
        order.cert_start_ms = int(not_before.timestamp() * 1000)
        order.cert_end_ms = int(not_after.timestamp() * 1000)
        if order.cert_id is None:
            order.cert_id = str(next(self.state.cert_ids))
        if not order.ever_issued:
            order.ever_issued = True
            quota = self.state.quotas.get((order.account_id, order.product_code))
            if quota is not None:
                quota.issued += 1
        order.type = "certificate"

    def record_domain(self, order: Order) -> str:
        """RecordDomain as returned to the caller, per the ``record_domain_style`` setting."""
        if self.state.settings.record_domain_style == "domain":
            return DNS_LABEL
        fqdn = f"{DNS_LABEL}.{domains.strip_wildcard(order.domain)}"
        zone = self.state.find_zone(fqdn, order.account_id) or self.state.find_zone(fqdn)
        zone_name = zone.name if zone else ".".join(fqdn.split(".")[-2:])
        return domains.relative_name(fqdn, zone_name)

    def _own_order(self, caller: Caller, params: dict) -> Order:
        (raw,) = require(params, "OrderId")
        try:
            order_id = int(raw)
        except ValueError:
            raise invalid_parameter("OrderId", "It must be an integer.") from None
        order = self.state.orders.get(order_id)
        if order is None or order.account_id != caller.account_id:
            raise order_not_found()
        return order

    # --- read actions ------------------------------------------------------------------------
    def describe_certificate_state(self, caller: Caller, params: dict) -> dict:
        with self.state.lock:
            order = self._own_order(caller, params)
            self.advance(order)
            body = {"Type": order.type}
            if order.type == "domain_verify":
                body["ValidateType"] = order.validate_type
                if order.validate_type == "DNS":
                    body.update(RecordType="TXT", RecordDomain=self.record_domain(order),
                                RecordValue=order.record_value)
                else:
                    body.update(Domain=order.domain, Uri=FILE_URI, Content=order.record_value)
            elif order.type == "certificate":
                body.update(Certificate=order.certificate, CertId=order.cert_id)
                if order.private_key_pem is not None:
                    body["PrivateKey"] = order.private_key_pem
            return body

    def list_status(self, order: Order) -> str:
        if order.type == "certificate":
            left = (order.cert_end_ms or 0) - now_ms()
            if left <= 0:
                return "EXPIRED"
            return "WILLEXPIRED" if left <= EXPIRY_WARNING_MS else "ISSUED"
        if order.type == "domain_verify":
            return self.state.settings.fresh_order_list_status
        return {"payed": "PAYED", "process": "CHECKING", "verify_fail": "CHECKED_FAIL"}.get(order.type, "UNKNOWN")

    def list_user_certificate_order(self, caller: Caller, params: dict) -> dict:
        order_type = (params.get("OrderType") or "CPACK").upper()
        if order_type not in LIST_ORDER_TYPES:
            raise invalid_parameter("OrderType", f"Valid values: {', '.join(LIST_ORDER_TYPES)}.")
        current_page = int_param(params, "CurrentPage", 1, 1)
        show_size = self.state.served_page_size(int_param(params, "ShowSize", 50, 1))
        keyword = params.get("Keyword", "").lower()
        status = params.get("Status", "").upper()
        with self.state.lock:
            items = []
            # Only resource-plan orders are emulated; BUY/UPLOAD/CERT lists stay empty.
            if order_type == "CPACK":
                orders = [o for o in self.state.orders.values() if o.account_id == caller.account_id]
                for order in orders:
                    self.advance(order)
                current = {order.order_id: self._list_item(order) for order in orders}
                shown = self.state.lagging_view(caller.account_id, ORDER_LIST, current)
                for order_id in sorted(shown, reverse=True):
                    item = shown[order_id]
                    if keyword and keyword not in item["Domain"] and keyword not in item["InstanceId"].lower():
                        continue
                    if status and item["Status"] != status:
                        continue
                    items.append(item)
            start = (current_page - 1) * show_size
            return {"CertificateOrderList": items[start:start + show_size], "CurrentPage": current_page,
                    "ShowSize": show_size, "TotalCount": len(items)}

    def _list_item(self, order: Order) -> dict:
        brand, product_name = DV_PRODUCTS[order.product_code]
        wildcard = order.domain.startswith("*.")
        item = {
            "OrderId": order.order_id, "InstanceId": order.instance_id, "AliyunOrderId": order.aliyun_order_id,
            "Domain": order.domain, "ProductCode": order.product_code, "ProductName": product_name,
            "Status": self.list_status(order), "BuyDate": order.buy_ms,
            "CertType": "FREE" if "-free-" in order.product_code else "DV",
            "DomainType": "WILDCARD" if wildcard else "ONE", "DomainCount": 1,
            "WildDomainCount": 1 if wildcard else 0, "Algorithm": "RSA", "RootBrand": brand,
            "SourceType": "cpack", "PartnerOrderId": "", "TrusteeStatus": "unTrustee",
        }
        if order.cert_start_ms is not None:
            item.update(CertStartTime=order.cert_start_ms, CertEndTime=order.cert_end_ms)
        return item

    def describe_package_state(self, caller: Caller, params: dict) -> dict:
        product_code = params.get("ProductCode") or DEFAULT_PRODUCT_CODE
        with self.state.lock:
            quota = self.state.quotas.get((caller.account_id, product_code))
            total, used, issued = (quota.total, quota.used, quota.issued) if quota else (0, 0, 0)
        return {"ProductCode": product_code, "TotalCount": total, "UsedCount": used, "IssuedCount": issued}

    # --- write actions -----------------------------------------------------------------------
    def cancel_order_request(self, caller: Caller, params: dict) -> dict:
        with self.state.lock:
            order = self._own_order(caller, params)
            self.advance(order)
            if order.type not in ("domain_verify", "process"):
                raise order_state_error()
            if self.state.settings.cancel_mode == "async":
                order.cancel_reads_left = 1
            else:
                self._cancel_now(order)
        return {}

    def _cancel_now(self, order: Order) -> None:
        self.state.record_list_change(order.account_id, ORDER_LIST, order.order_id, self._list_item(order))
        order.type = "payed"
        order.process_since = None
        order.cancel_reads_left = None

    def delete_certificate_request(self, caller: Caller, params: dict) -> dict:
        with self.state.lock:
            order = self._own_order(caller, params)
            if order.type not in ("verify_fail", "payed"):
                raise order_state_error()
            self.state.record_list_change(order.account_id, ORDER_LIST, order.order_id, self._list_item(order))
            del self.state.orders[order.order_id]
            quota = self.state.quotas.get((order.account_id, order.product_code))
            # Deleted orders "do not consume quota" (API doc): give back what create took.
            if quota is not None and not order.ever_issued:
                quota.used = max(0, quota.used - 1)
        return {}

    # --- certificate material ----------------------------------------------------------------
    def get_user_certificate_detail(self, caller: Caller, params: dict) -> dict:
        """The certificate of an issued V1.0 order by the CertId DescribeCertificateState gave.
        UNCONFIRMED: the 404 status of ``NotFound``; the shapes of ``Name`` and ``CertIdentifier``.
        The subject's organisation and location fields are left out: a DV subject has none."""
        (raw,) = require(params, "CertId")
        try:
            cert_id = str(int(raw))
        except ValueError:
            raise invalid_parameter("CertId", "It must be an integer.") from None
        with self.state.lock:
            order = next((o for o in self.state.orders.values()
                          if o.cert_id == cert_id and o.account_id == caller.account_id), None)
            if order is None or order.certificate is None:
                raise ApiError(404, "NotFound", "The certificate does not exist.")
            certificate_pem, key_pem = order.certificate, order.private_key_pem
            tags, product_code = order.tags, order.product_code
            order_id, instance_id = order.order_id, order.instance_id
            region = certificates.cert_region(self.state)
        leaf, *chain = x509.load_pem_x509_certificates(certificate_pem.encode())

        def common_name(name: x509.Name) -> str:
            return str(name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)

        def stamp_ms(moment: datetime.datetime) -> int:
            return int(moment.timestamp() * 1000)

        def days_left(moment: datetime.datetime) -> int:
            return max(0, (stamp_ms(moment) - now_ms()) // 86_400_000)

        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
        not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        detail = {
            "Id": int(cert_id), "Name": f"cert-{cert_id}", "Common": common_name(leaf.subject),
            "Sans": ",".join(sans), "Issuer": DV_PRODUCTS[product_code][0], "OrderId": order_id,
            "InstanceId": instance_id, "CertIdentifier": f"{cert_id}-{region}",
            "StartDate": not_before.strftime("%Y-%m-%d"), "EndDate": not_after.strftime("%Y-%m-%d"),
            "NotBefore": stamp_ms(not_before), "NotAfter": stamp_ms(not_after),
            "Expired": stamp_ms(not_after) <= now_ms(), "BuyInAliyun": True,
            "Algorithm": "RSA" if isinstance(leaf.public_key(), rsa.RSAPublicKey) else "ECC",
            "Fingerprint": leaf.fingerprint(hashes.SHA1()).hex(), "Sha2": leaf.fingerprint(hashes.SHA256()).hex(),
            "CertSha2": leaf.fingerprint(hashes.SHA256()).hex(), "SerialNo": format(leaf.serial_number, "x"),
            "CertChain": [
                {"CommonName": common_name(c.subject), "IssuerCommonName": common_name(c.issuer),
                 "NotBefore": stamp_ms(c.not_valid_before_utc), "NotAfter": stamp_ms(c.not_valid_after_utc),
                 "RemainDay": days_left(c.not_valid_after_utc)}
                for c in [leaf, *chain]],
            "Tags": [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in tags],
        }
        if params.get("CertFilter", "").lower() != "true":
            detail["Cert"] = certificate_pem
            if key_pem is not None:
                detail["Key"] = key_pem
        return detail
