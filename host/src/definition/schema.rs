//! The AWS API shapes of the inputs ristretto sends — RegisterTaskDefinition and
//! CreateService — down to the fields people commonly get wrong (container definitions,
//! environment, secrets, port mappings, tags). Used to reject wrong types with the field's
//! path and to warn about misspelled keys. Deeper objects are passed through unchecked.
//! A catalog file: long by nature, one entry per AWS field.

/// The expected type of a field.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A JSON string.
    String,
    /// A JSON integer.
    Integer,
    /// A JSON boolean.
    Boolean,
    /// A list whose items have the given shape.
    List(&'static Shape),
    /// An object with known fields.
    Object(&'static [Field]),
    /// A map of user keys to strings (`dockerLabels`, `options`); keys are kept verbatim.
    StringMap,
    /// Any object, passed through (keys normalized to camelCase).
    AnyObject,
    /// A read-only field of the describe output: accepted and dropped, as AWS does not take it.
    ReadOnly,
}

/// A named field of an object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// camelCase name, as in the AWS API.
    pub name: &'static str,
    /// Its shape.
    pub shape: Shape,
}

const fn field(name: &'static str, shape: Shape) -> Field {
    Field { name, shape }
}

const STRING: Shape = Shape::String;
const INTEGER: Shape = Shape::Integer;
const BOOLEAN: Shape = Shape::Boolean;
const STRINGS: Shape = Shape::List(&STRING);
const ANY: Shape = Shape::AnyObject;
const ANY_LIST: Shape = Shape::List(&ANY);
const RO: Shape = Shape::ReadOnly;

const TAG: Shape = Shape::Object(&[field("key", STRING), field("value", STRING)]);
const NAME_VALUE: Shape = Shape::Object(&[field("name", STRING), field("value", STRING)]);
const SECRET: Shape = Shape::Object(&[field("name", STRING), field("valueFrom", STRING)]);
const PORT_MAPPING: Shape = Shape::Object(&[
    field("containerPort", INTEGER),
    field("hostPort", INTEGER),
    field("protocol", STRING),
    field("name", STRING),
    field("appProtocol", STRING),
    field("containerPortRange", STRING),
]);
const LOG_CONFIGURATION: Shape = Shape::Object(&[
    field("logDriver", STRING),
    field("options", Shape::StringMap),
    field("secretOptions", Shape::List(&SECRET)),
]);
const FIRELENS: Shape = Shape::Object(&[field("type", STRING), field("options", Shape::StringMap)]);
const HEALTH_CHECK: Shape = Shape::Object(&[
    field("command", STRINGS),
    field("interval", INTEGER),
    field("timeout", INTEGER),
    field("retries", INTEGER),
    field("startPeriod", INTEGER),
]);

/// `containerDefinitions[]`.
const CONTAINER: Shape = Shape::Object(&[
    field("name", STRING),
    field("image", STRING),
    field("repositoryCredentials", ANY),
    field("cpu", INTEGER),
    field("memory", INTEGER),
    field("memoryReservation", INTEGER),
    field("links", STRINGS),
    field("portMappings", Shape::List(&PORT_MAPPING)),
    field("essential", BOOLEAN),
    field("restartPolicy", ANY),
    field("entryPoint", STRINGS),
    field("command", STRINGS),
    field("environment", Shape::List(&NAME_VALUE)),
    field("environmentFiles", ANY_LIST),
    field("mountPoints", ANY_LIST),
    field("volumesFrom", ANY_LIST),
    field("linuxParameters", ANY),
    field("secrets", Shape::List(&SECRET)),
    field("dependsOn", ANY_LIST),
    field("startTimeout", INTEGER),
    field("stopTimeout", INTEGER),
    field("versionConsistency", STRING),
    field("hostname", STRING),
    field("user", STRING),
    field("workingDirectory", STRING),
    field("disableNetworking", BOOLEAN),
    field("privileged", BOOLEAN),
    field("readonlyRootFilesystem", BOOLEAN),
    field("dnsServers", STRINGS),
    field("dnsSearchDomains", STRINGS),
    field("extraHosts", ANY_LIST),
    field("dockerSecurityOptions", STRINGS),
    field("interactive", BOOLEAN),
    field("pseudoTerminal", BOOLEAN),
    field("dockerLabels", Shape::StringMap),
    field("ulimits", ANY_LIST),
    field("logConfiguration", LOG_CONFIGURATION),
    field("healthCheck", HEALTH_CHECK),
    field("systemControls", ANY_LIST),
    field("resourceRequirements", ANY_LIST),
    field("firelensConfiguration", FIRELENS),
    field("credentialSpecs", STRINGS),
]);

const DOCKER_VOLUME: Shape = Shape::Object(&[
    field("scope", STRING),
    field("autoprovision", BOOLEAN),
    field("driver", STRING),
    field("driverOpts", Shape::StringMap),
    field("labels", Shape::StringMap),
]);
const VOLUME: Shape = Shape::Object(&[
    field("name", STRING),
    field("host", ANY),
    field("dockerVolumeConfiguration", DOCKER_VOLUME),
    field("efsVolumeConfiguration", ANY),
    field("fsxWindowsFileServerVolumeConfiguration", ANY),
    field("configuredAtLaunch", BOOLEAN),
    field("s3filesVolumeConfiguration", ANY),
]);

/// RegisterTaskDefinition's input (plus describe-only fields, which are dropped).
pub const TASK_DEFINITION: Shape = Shape::Object(&[
    field("family", STRING),
    field("taskRoleArn", STRING),
    field("executionRoleArn", STRING),
    field("networkMode", STRING),
    field("containerDefinitions", Shape::List(&CONTAINER)),
    field("volumes", Shape::List(&VOLUME)),
    field("placementConstraints", ANY_LIST),
    field("requiresCompatibilities", STRINGS),
    field("cpu", STRING),
    field("memory", STRING),
    field("tags", Shape::List(&TAG)),
    field("pidMode", STRING),
    field("ipcMode", STRING),
    field("proxyConfiguration", ANY),
    field("inferenceAccelerators", ANY_LIST),
    field("ephemeralStorage", ANY),
    field("runtimePlatform", ANY),
    field("enableFaultInjection", BOOLEAN),
    field("taskDefinitionArn", RO),
    field("revision", RO),
    field("status", RO),
    field("requiresAttributes", RO),
    field("compatibilities", RO),
    field("registeredAt", RO),
    field("registeredBy", RO),
    field("deregisteredAt", RO),
]);

const TYPE_VALUE: Shape = Shape::Object(&[field("type", STRING), field("value", STRING)]);
const CONTAINER_OVERRIDE: Shape = Shape::Object(&[
    field("name", STRING),
    field("command", STRINGS),
    field("environment", Shape::List(&NAME_VALUE)),
    field("environmentFiles", Shape::List(&TYPE_VALUE)),
    field("cpu", INTEGER),
    field("memory", INTEGER),
    field("memoryReservation", INTEGER),
    field("resourceRequirements", Shape::List(&TYPE_VALUE)),
]);

/// RunTask's `overrides` (TaskOverride), for `run --overrides`.
pub const TASK_OVERRIDE: Shape = Shape::Object(&[
    field("containerOverrides", Shape::List(&CONTAINER_OVERRIDE)),
    field("cpu", STRING),
    field("memory", STRING),
    field("executionRoleArn", STRING),
    field("taskRoleArn", STRING),
    field(
        "ephemeralStorage",
        Shape::Object(&[field("sizeInGiB", INTEGER)]),
    ),
    field(
        "inferenceAcceleratorOverrides",
        Shape::List(&Shape::Object(&[
            field("deviceName", STRING),
            field("deviceType", STRING),
        ])),
    ),
]);

/// CreateService's input, plus the describe-services fields ecspresso's service definition
/// also accepts (kept, since they are part of its Service shape).
pub const SERVICE_DEFINITION: Shape = Shape::Object(&[
    field("cluster", STRING),
    field("serviceName", STRING),
    field("taskDefinition", STRING),
    field("availabilityZoneRebalancing", STRING),
    field("loadBalancers", ANY_LIST),
    field("serviceRegistries", ANY_LIST),
    field("desiredCount", INTEGER),
    field("clientToken", STRING),
    field("launchType", STRING),
    field("capacityProviderStrategy", ANY_LIST),
    field("platformVersion", STRING),
    field("platformFamily", STRING),
    field("role", STRING),
    field("deploymentConfiguration", ANY),
    field("placementConstraints", ANY_LIST),
    field("placementStrategy", ANY_LIST),
    field("networkConfiguration", ANY),
    field("healthCheckGracePeriodSeconds", INTEGER),
    field("schedulingStrategy", STRING),
    field("deploymentController", ANY),
    field("tags", Shape::List(&TAG)),
    field("enableECSManagedTags", BOOLEAN),
    field("propagateTags", STRING),
    field("enableExecuteCommand", BOOLEAN),
    field("serviceConnectConfiguration", ANY),
    field("volumeConfigurations", ANY_LIST),
    field("vpcLatticeConfigurations", ANY_LIST),
    field("gatewayConnectors", ANY_LIST),
    field("monitoring", ANY),
    field("serviceArn", RO),
    field("clusterArn", RO),
    field("status", RO),
    field("runningCount", RO),
    field("pendingCount", RO),
    field("deployments", RO),
    field("taskSets", RO),
    field("events", RO),
    field("createdAt", RO),
    field("createdBy", RO),
    field("roleArn", RO),
    field("currentServiceDeployment", RO),
    field("currentServiceRevisions", RO),
    field("resourceManagementType", RO),
]);
