"""Network Load Balancer (NLB, ``Version=2022-04-30``): the TCPSSL listener calls a certificate
deployment makes. The SDK (alibabacloud_nlb20220430 4.1.3) sends GetListenerAttribute's
parameters in the query and the others in the form body; the gateway merges both."""

from __future__ import annotations

import secrets

from .listeners import ListenerService
from .products import PRODUCT_CLASSES


class NlbService(ListenerService):
    name = "nlb"
    version = "2022-04-30"
    host_id = "nlb.cn-hangzhou.aliyuncs.com"
    product = "Nlb"
    protocols = ("TCP", "UDP", "TCPSSL")
    certificate_protocols = ("TCPSSL",)
    default_protocol_port = {"TCP": 80, "UDP": 53, "TCPSSL": 443}
    max_page = 50
    # NLB's documentation spells the resource in lower case.
    not_found_listener = "ResourceNotFound.listener"
    incorrect_status = "IncorrectStatus.listener"
    default_parameter = "CertificateIds"
    additional_parameter = "AdditionalCertificateIds"
    # UNCONFIRMED: the NLB API pages state no per-action limit. Assumed like ALB's documented
    # 200 per 60 s for the writes, and 100/s for the reads.
    qps_limits = {"UpdateListenerAttribute": 200 / 60, "AssociateAdditionalCertificatesWithListener": 200 / 60,
                  "DisassociateAdditionalCertificatesWithListener": 200 / 60,
                  "GetListenerAttribute": 100, "ListListenerCertificates": 100}

    def __init__(self, state, certificates) -> None:
        super().__init__(state, certificates)
        self.actions = {
            "GetListenerAttribute": self.get_listener_attribute,
            "ListListenerCertificates": self.list_listener_certificates,
            "UpdateListenerAttribute": self.update_listener_attribute,
            "AssociateAdditionalCertificatesWithListener": self.associate_additional_certificates,
            "DisassociateAdditionalCertificatesWithListener": self.disassociate_additional_certificates,
        }

    def _new_listener_id(self, port: int) -> str:
        return f"lsn-{secrets.token_hex(10)}@{port}"

    def get_listener_attribute(self, caller, params: dict) -> dict:
        with self.state.lock:
            listener = self._listener(caller, params)
            return {
                "ListenerId": listener.listener_id, "LoadBalancerId": listener.load_balancer_id,
                "RegionId": listener.region, "ListenerProtocol": listener.protocol,
                "ListenerPort": listener.port, "ListenerStatus": self._status(listener),
                "CertificateIds": [listener.default] if listener.default else [],
            }

    def list_listener_certificates(self, caller, params: dict) -> dict:
        answer = self._list_certificates(caller, params, "CertType")
        answer["CertificateIds"] = [entry["CertificateId"] for entry in answer["Certificates"]]
        return answer

    def update_listener_attribute(self, caller, params: dict) -> dict:
        return self._set_default(caller, params, "UpdateListenerAttribute", self._indexed(params, "CertificateIds"))

    def associate_additional_certificates(self, caller, params: dict) -> dict:
        return self._associate(caller, params, "AssociateAdditionalCertificatesWithListener",
                               self._indexed(params, "AdditionalCertificateIds"))

    def disassociate_additional_certificates(self, caller, params: dict) -> dict:
        return self._dissociate(caller, params, "DisassociateAdditionalCertificatesWithListener",
                                self._indexed(params, "AdditionalCertificateIds"))


PRODUCT_CLASSES.append(NlbService)
