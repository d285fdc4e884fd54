expect '"result": "ok"' --hook notify --event deploy-succeeded
