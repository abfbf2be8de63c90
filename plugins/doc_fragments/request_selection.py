# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Which requests certificate_request_info and certificate_download read, and how they wait.
    # O(certificates) and O(wait) are documented by each module: their items and default differ.
    DOCUMENTATION = r"""
options:
  order_id:
    description:
      - ID of a V1.0 order, as returned by M(alicloud.cas.certificate_request).
      - Exactly one of O(order_id), O(instance_id), O(domain) and O(certificates) is required.
    type: int
  instance_id:
    description:
      - ID of a V2.0 subscription instance, as returned by M(alicloud.cas.certificate_request), for example
        V(cas-cn-68n1mm16xxxx).
    type: str
    version_added: 0.2.0
  domain:
    description:
      - Domain whose newest request is read, in either flow.
      - Both the V1.0 orders and the V2.0 instances that hold the domain are looked at. An instance with an
        application under way is the newest; otherwise the newer of the newest order (by purchase date) and the
        instance whose certificate was issued last (by its start of validity) is read. Unused (inactive) instances
        hold no request and are not looked at.
      - Matched exactly, case-insensitive, internationalised names in punycode.
    type: str
  wait_for:
    description:
      - States that end the wait successfully. Either the phases of both flows (V(validating), V(reviewing),
        V(issued), V(failed), V(withdrawn)) or the V1.0 order states, which stand for a phase each
        (V(domain_verify) validating, V(process) reviewing, V(certificate) issued, V(verify_fail) failed,
        V(payed) withdrawn).
      - When waiting, a request that reaches a phase it will not leave by itself (issued, failed, withdrawn, or an
        instance that holds no application) and that is not listed here fails the task at once with what the API
        said. For a V1.0 order whose review failed the message says how to start again.
    type: list
    elements: str
    choices: [domain_verify, process, certificate, verify_fail, payed, validating, reviewing, issued, failed, withdrawn]
    default: [certificate]
  wait_timeout:
    description:
      - Seconds to wait at most (for all of O(certificates) together). When they run out the task fails; its result
        still holds the last state, and the message says so.
    type: int
    default: 900
  poll_interval:
    description:
      - Seconds before the second poll. Each later pause is twice the one before, up to O(poll_interval_max).
    type: float
    default: 5
  poll_interval_max:
    description:
      - Longest pause between two polls, in seconds.
    type: float
    default: 60
"""
