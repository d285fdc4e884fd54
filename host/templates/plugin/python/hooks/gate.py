class Gate(exports.Gate):
    """Passes every stage unless the entry's config says `block: REASON`."""

    def check(self, ctx, stage, state):
        config = json.loads(ctx.plugin_config or "{}")
        if config.get("block"):
            return types.Verdict_Fail(str(config["block"]))
        log.write(log.Level.INFO, f"{stage.name.lower().replace('_', '-')}: pass")
        return types.Verdict_Pass()
