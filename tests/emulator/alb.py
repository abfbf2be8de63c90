"""Application Load Balancer (ALB, ``Version=2020-06-16``): the listener calls a certificate
deployment makes. The SDK (alibabacloud_alb20200616 1.3.3) sends every parameter in the query."""

from __future__ import annotations

from .listeners import ListenerService
from .products import PRODUCT_CLASSES


class AlbService(ListenerService):
    name = "alb"
    version = "2020-06-16"
    host_id = "alb.cn-hangzhou.aliyuncs.com"
    product = "Alb"
    protocols = ("HTTP", "HTTPS", "QUIC")
    certificate_protocols = ("HTTPS", "QUIC")
    default_protocol_port = {"HTTP": 80, "HTTPS": 443, "QUIC": 443}
    max_page = 100
    default_parameter = "Certificates"
    additional_parameter = "Certificates"
    # Per account, as the API pages (api.aliyun.com, "流控信息") give them: UpdateListenerAttribute,
    # AssociateAdditionalCertificatesWithListener and DissociateAdditionalCertificatesFromListener
    # 200 per 60 s. The reads' pages state no limit: 100/s is UNCONFIRMED (a plausible read limit,
    # like CDN's Describe calls).
    qps_limits = {"UpdateListenerAttribute": 200 / 60, "AssociateAdditionalCertificatesWithListener": 200 / 60,
                  "DissociateAdditionalCertificatesFromListener": 200 / 60,
                  "GetListenerAttribute": 100, "ListListenerCertificates": 100}

    def __init__(self, state, certificates) -> None:
        super().__init__(state, certificates)
        self.actions = {
            "GetListenerAttribute": self.get_listener_attribute,
            "ListListenerCertificates": self.list_listener_certificates,
            "UpdateListenerAttribute": self.update_listener_attribute,
            "AssociateAdditionalCertificatesWithListener": self.associate_additional_certificates,
            "DissociateAdditionalCertificatesFromListener": self.dissociate_additional_certificates,
        }

    def get_listener_attribute(self, caller, params: dict) -> dict:
        with self.state.lock:
            listener = self._listener(caller, params)
            holder = self._certificate_holder(listener)
            answer = {
                "ListenerId": listener.listener_id, "LoadBalancerId": listener.load_balancer_id,
                "ListenerProtocol": listener.protocol, "ListenerPort": listener.port,
                "ListenerStatus": self._status(listener),
                "Certificates": [{"CertificateId": holder.default}] if holder.default else [],
            }
            if listener.protocol == "HTTPS":
                answer["QuicConfig"] = {"QuicUpgradeEnabled": listener.quic_listener_id is not None}
                if listener.quic_listener_id:
                    answer["QuicConfig"]["QuicListenerId"] = listener.quic_listener_id
            return answer

    def list_listener_certificates(self, caller, params: dict) -> dict:
        return self._list_certificates(caller, params, "CertificateType")

    def update_listener_attribute(self, caller, params: dict) -> dict:
        return self._set_default(caller, params, "UpdateListenerAttribute",
                                 self._indexed(params, "Certificates", ".CertificateId"))

    def associate_additional_certificates(self, caller, params: dict) -> dict:
        return self._associate(caller, params, "AssociateAdditionalCertificatesWithListener",
                               self._indexed(params, "Certificates", ".CertificateId"))

    def dissociate_additional_certificates(self, caller, params: dict) -> dict:
        return self._dissociate(caller, params, "DissociateAdditionalCertificatesFromListener",
                                self._indexed(params, "Certificates", ".CertificateId"))


PRODUCT_CLASSES.append(AlbService)
