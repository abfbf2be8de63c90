# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Deployment of CAS certificates to the products that serve traffic: one adapter per
product (CDN, DCDN, CLB, ALB, NLB) and the read-compare-write logic once, in _engine."""
