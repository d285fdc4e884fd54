expect '"notified": true' --hook notify --event deploy-succeeded
