/**
 * The local real stack: {@link dev.runstream.deploy.LocalStack} starts a Kafka broker, an Apicurio
 * schema registry and ClickHouse as child processes (or uses servers named by {@code
 * KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL}, {@code CLICKHOUSE_URL}). Tests get a shared stack
 * from {@code dev.runstream.testing.LocalStackExtension} in the test-support module, so this module
 * has no test framework on its classpath.
 */
package dev.runstream.deploy;
