# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The attributes every read-only module of the collection shares.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs unchanged in check mode.
  diff_mode:
    support: none
    details: The module changes nothing, so there is nothing to diff.
  idempotent:
    description: Running the same task again with the same options changes nothing.
    support: full
  platform:
    platforms: all
"""
