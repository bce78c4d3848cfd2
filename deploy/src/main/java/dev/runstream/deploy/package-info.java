/**
 * The local real stack: {@link dev.runstream.deploy.LocalStack} starts a Kafka broker, an Apicurio
 * schema registry and ClickHouse as child processes (or uses servers named by {@code
 * KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL}, {@code CLICKHOUSE_URL}); {@link
 * dev.runstream.deploy.junit.LocalStackExtension} shares one stack among all test classes of a test
 * JVM.
 */
package dev.runstream.deploy;
