"""{{name}}: a ristretto plugin ({{hook}}) in Python, built with componentize-py.

ristretto calls only the hooks listed in `capabilities`; the world exports all four, so the
others are inert. `ristretto_http` sends HTTP requests through ristretto (grant the hosts in
the plugin entry's `allow.http`).
"""
import json

import wit_world
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log
from wit_world.imports import ristretto_plugin_types as types


class WitWorld(wit_world.WitWorld):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            sdk_version="",
            description="{{name}} ({{hook}})",
            capabilities=["{{hook}}"],
        )
{{hooks}}
