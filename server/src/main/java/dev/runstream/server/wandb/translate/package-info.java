/**
 * What the {@code wandb} Python client sends, turned into runstream values: pure functions, no I/O,
 * no state, safe from any thread. The HTTP layer parses requests and calls these; each throws
 * {@link dev.runstream.server.wandb.translate.WandbPayloadException}, whose message names the part
 * that is wrong, for a payload it cannot translate (the server answers HTTP 400 with it).
 *
 * <h2>What becomes what</h2>
 *
 * <table>
 *   <caption>wandb payload to runstream value</caption>
 *   <tr><th>the client sends</th><th>translator</th><th>becomes (SDK call)</th></tr>
 *   <tr><td>{@code file_stream}: a line of {@code wandb-history.jsonl}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.HistoryTranslator}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.HistoryRow}: {@code Run.log(metrics, step)}
 *       at {@code time}; {@code others} kept by the server</td></tr>
 *   <tr><td>{@code file_stream}: a line of {@code wandb-events.jsonl}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.EventsTranslator}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.SystemSample}: a system batch, SDK names
 *       where the SDK samples the same quantity</td></tr>
 *   <tr><td>{@code UpsertBucket}'s {@code config} (and {@code config.yaml})</td>
 *       <td>{@link dev.runstream.server.wandb.translate.ConfigTranslator}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.TranslatedConfig}: {@code
 *       Run.config().update(values)}, and {@code Run.defineMetric(name).goal(..).summary(..)} per
 *       {@link dev.runstream.server.wandb.translate.DefinedMetric}</td></tr>
 *   <tr><td>GraphQL {@code UpsertBucket} (create, rename, notes, tags, config)</td>
 *       <td>{@link dev.runstream.server.wandb.translate.UpsertTranslator}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.RunUpsert}: run events for name, notes,
 *       tags, group, job type and config; null components unchanged</td></tr>
 *   <tr><td>{@code file_stream}: {@code wandb-summary.json} (and its upload)</td>
 *       <td>{@link dev.runstream.server.wandb.translate.SummaryTranslator}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.SummaryValues}: {@code
 *       Run.summary().update(values)}</td></tr>
 *   <tr><td>{@code file_stream}: {@code "complete": true, "exitcode": N}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.Completion}</td>
 *       <td>{@code Run.finish(N)}: 0 finished, else failed</td></tr>
 *   <tr><td>GraphQL {@code NotifyScriptableRunAlert}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.AlertTranslator}</td>
 *       <td>{@link dev.runstream.server.wandb.translate.WandbAlert}: {@code Run.alert(title, text,
 *       level)}</td></tr>
 * </table>
 *
 * <h2>Decisions</h2>
 *
 * <ul>
 *   <li>Non-finite floats: the client writes the bare literals {@code NaN}, {@code Infinity} and
 *       {@code -Infinity}; they are read as the doubles and kept as metric values.
 *   <li>Nested dicts in history and events are flattened with {@code .}; in config and summary they
 *       stay nested, as the user wrote them.
 *   <li>Booleans logged to history are metrics 1 and 0; in config and summary they stay booleans.
 *   <li>{@code _step}, {@code _timestamp} and {@code _runtime} are a history row's own fields, not
 *       metrics: W&amp;B shows {@code _runtime} as the run's relative time, not as a chart.
 *   <li>Not dropped, never silently: a logged string, list, {@code None}, empty dict, histogram,
 *       image, table or other typed object is a {@link
 *       dev.runstream.server.wandb.translate.NonScalar} with its type (W&amp;B's {@code _type}) and
 *       JSON, and for the {@code *-file} types the run file that holds its content (uploaded by the
 *       client through {@code CreateRunFiles}). The server keeps them as run attributes or files
 *       and counts them per key.
 *   <li>Names and keys pass through verbatim (quotes, backticks, unicode). A metric name the SDK
 *       refuses is refused, warned about and counted by {@code Run.log}, not here.
 *   <li>{@code define_metric} travels only inside the config ({@code _wandb.m}); client 0.30.0
 *       sends no goal (its {@code define_metric} lost the argument), so goals are usually {@link
 *       dev.runstream.sdk.Goal#NONE} and runstream infers them from the name ({@code MetricGoals}).
 * </ul>
 *
 * <p>The payloads these are tested against were recorded from the real client 0.30.0; see {@code
 * src/test/resources/wandb/client-0.30.0/README.md}.
 */
package dev.runstream.server.wandb.translate;
