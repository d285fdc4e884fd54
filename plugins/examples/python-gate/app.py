"""A change-freeze gate in Python: before each gated stage it asks an HTTP endpoint whether
the service may be deployed now, and passes or fails the gate with the endpoint's answer.

Config (the plugin entry's `config:`):
  url: the endpoint; ristretto must allow its host (`allow.http`)
  stages: the stages to ask at (default: pre-deploy)

The endpoint gets GET url?cluster=C&service=S&stage=STAGE&revision=R and answers
{"allow": true} or {"allow": false, "reason": "..."}. Any other answer fails the gate.
"""
import json
from urllib.parse import urlencode

import ristretto_http
import wit_world
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log
from wit_world.imports.ristretto_plugin_types import (
    PluginInfo, Stage, Verdict_Fail, Verdict_Pass,
)

STAGE_NAMES = {
    Stage.PRE_DEPLOY: "pre-deploy",
    Stage.BEFORE_TRAFFIC_SHIFT: "before-traffic-shift",
    Stage.POST_DEPLOY: "post-deploy",
    Stage.BAKE: "bake",
}


class WitWorld(wit_world.WitWorld):
    def info(self) -> PluginInfo:
        return PluginInfo(
            name="python-gate",
            version="0.1.0",
            sdk_version="",
            description="change-freeze gate asking an HTTP endpoint (Python)",
            capabilities=["gate"],
        )


class Gate(exports.Gate):
    def check(self, ctx, stage, state):
        config = json.loads(ctx.plugin_config or "{}")
        url = config.get("url")
        if not isinstance(url, str):
            raise Err("config.url (the freeze endpoint) is missing")
        stage_name = STAGE_NAMES[stage]
        if stage_name not in config.get("stages", ["pre-deploy"]):
            return Verdict_Pass()
        query = {"cluster": ctx.cluster, "service": ctx.service, "stage": stage_name,
                 "revision": ctx.revision or ""}
        separator = "&" if "?" in url else "?"
        try:
            response = ristretto_http.get(url + separator + urlencode(query))
        except ristretto_http.HttpError as error:
            raise Err(str(error)) from None
        if not response.ok():
            return Verdict_Fail(f"{url} answered {response.status}: {response.text()[:200]}")
        try:
            answer = response.json()
        except ValueError:
            return Verdict_Fail(f"{url} answered something that is not JSON")
        if answer.get("allow") is True:
            log.write(log.Level.INFO, f"{stage_name}: {url} allows the deploy")
            return Verdict_Pass()
        return Verdict_Fail(str(answer.get("reason") or "the freeze endpoint refused the deploy"))


# The world exports every hook; ristretto calls only those listed in `capabilities`.
class Transform(exports.Transform):
    def transform(self, ctx, kind, definition):
        return definition


class Functions(exports.Functions):
    def declare(self, ctx):
        return []

    def call(self, ctx, name, args):
        raise Err(f"no function {name}")


class Notify(exports.Notify):
    def notify(self, ctx, event):
        return None
