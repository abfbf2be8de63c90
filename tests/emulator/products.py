"""The deployment products the emulator serves next to CAS and Alidns (CDN, DCDN, CLB, ALB,
NLB), each a service answering its own API version on the same port.

A product service is a class built as ``cls(state, certificates)`` where ``certificates``
is the tests.emulator.certificates module (find_certificate, cert_region). It has:

* ``name``: the product (``cdn``, ``dcdn``, ``clb``, ``alb``, ``nlb``);
* ``version`` and ``actions`` ({Action: handler(caller, params) -> dict}), like CasService;
* ``clear()``: forget its state (called by every reset, before the seed);
* ``control(method, path, body) -> dict``: its part of the control API, reached at
  ``/__emulator__/products/<name>/<path>``; raise control.ControlError for bad input;
* ``view() -> dict``: its state, for ``GET /__emulator__/products/<name>``;
* ``edge_material(server_name) -> (fullchain_pem, key_pem) | None``: what the edge TLS
  port presents for this SNI name, if the name is one of this product's (edge.py).
"""

# Appended to by each product module's registration line, in a stable order.
PRODUCT_CLASSES: list = []


def build_products(state, certificates) -> dict:
    """{name: service} for every registered product."""
    return {cls.name: cls(state, certificates) for cls in PRODUCT_CLASSES}
