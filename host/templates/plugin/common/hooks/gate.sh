expect '"verdict": "pass"' --hook gate --stage pre-deploy
expect '"reason": "release freeze"' --hook gate --stage post-deploy --plugin-config '{"block": "release freeze"}'
