/** JUnit 5 support for tests that need the real servers. */
package dev.runstream.deploy.junit;
