/**
 * The runstream stream processor: {@link dev.runstream.processor.StreamProcessor} runs {@link
 * dev.runstream.processor.RunstreamTopology}, which keeps each run's state and per-metric
 * aggregates, runs the detectors and publishes summaries and alerts; {@link
 * dev.runstream.processor.AlertNotifier} posts alerts to webhooks. Configuration: {@link
 * dev.runstream.processor.ProcessorConfig}, {@link dev.runstream.processor.MonitorSettings} and
 * {@link dev.runstream.processor.DetectorRules}.
 */
package dev.runstream.processor;
