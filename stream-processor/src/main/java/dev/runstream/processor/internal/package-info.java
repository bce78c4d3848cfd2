/** Implementation of the stream processor. Not public API: anything here may change. */
package dev.runstream.processor.internal;
