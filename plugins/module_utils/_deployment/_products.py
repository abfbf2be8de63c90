# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Every product adapter, by product name. The imports are static on purpose: AnsiballZ
packs only the module_utils a module imports by name."""

from __future__ import annotations

from ansible_collections.alicloud.cas.plugins.module_utils._deployment import _alb, _cdn, _clb, _nlb

ADAPTERS = {}
for _module in (_cdn, _clb, _alb, _nlb):
    ADAPTERS.update(_module.ADAPTERS)
