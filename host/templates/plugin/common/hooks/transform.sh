expect '"managed-by"' --hook transform --input task-definition.json
