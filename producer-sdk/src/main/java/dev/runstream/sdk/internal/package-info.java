/** Implementation of the SDK. Not public API: anything here may change without notice. */
package dev.runstream.sdk.internal;
