/**
 * Test support for runstream's modules: JUnit 5 extensions that give tests the real servers.
 *
 * <p>Depend on it at test scope only; it brings JUnit with it and never belongs on a production
 * classpath.
 */
package dev.runstream.testing;
