package dev.runstream.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which runs of a project {@link RunQueries#runs(RunFilter)} returns, with which summary columns,
 * in which order, and which page. Every condition is optional except the project; conditions are
 * combined with AND.
 *
 * <pre>{@code
 * RunFilter.builder("vision")
 *     .tagsAll("baseline")
 *     .states("FINISHED")
 *     .where("learning_rate < 0.01 and dataset = 'CIFAR-100'")
 *     .metrics("loss", "accuracy")
 *     .sort(RunSort.best("loss", MetricGoal.MINIMIZE))
 *     .page(0, 50)
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class RunFilter {
  /** Page size unless set: {@value}. */
  public static final int DEFAULT_LIMIT = 100;

  /** The largest page: {@value}. */
  public static final int MAX_LIMIT = 10_000;

  private final String project;
  private final Set<String> tagsAll;
  private final Set<String> tagsAny;
  private final Set<String> states;
  private final Instant startedFrom;
  private final Instant startedBefore;
  private final ConfigFilter where;
  private final List<String> metrics;
  private final Map<String, MetricGoal> goals;
  private final RunSort sort;
  private final int offset;
  private final int limit;

  private RunFilter(Builder b) {
    this.project = b.project;
    this.tagsAll = Set.copyOf(b.tagsAll);
    this.tagsAny = Set.copyOf(b.tagsAny);
    this.states = Set.copyOf(b.states);
    this.startedFrom = b.startedFrom;
    this.startedBefore = b.startedBefore;
    this.where = b.where;
    this.metrics = List.copyOf(b.metrics);
    this.goals = Map.copyOf(b.goals);
    this.sort = b.sort;
    this.offset = b.offset;
    this.limit = b.limit;
  }

  /** A filter of every run of {@code project}, newest first, {@value #DEFAULT_LIMIT} per page. */
  public static Builder builder(String project) {
    return new Builder(project);
  }

  /** The project whose runs are listed. */
  public String project() {
    return project;
  }

  /** Tags a run must all have; empty for no condition. */
  public Set<String> tagsAll() {
    return tagsAll;
  }

  /** Tags of which a run must have at least one; empty for no condition. */
  public Set<String> tagsAny() {
    return tagsAny;
  }

  /**
   * States a run must be in (RUNNING, FINISHED, ...; UNKNOWN for no summary yet); empty for any.
   */
  public Set<String> states() {
    return states;
  }

  /** Runs that started at or after this instant, if set. */
  public Optional<Instant> startedFrom() {
    return Optional.ofNullable(startedFrom);
  }

  /** Runs that started before this instant, if set. */
  public Optional<Instant> startedBefore() {
    return Optional.ofNullable(startedBefore);
  }

  /** The config condition, if set. */
  public Optional<ConfigFilter> where() {
    return Optional.ofNullable(where);
  }

  /** The metrics whose summary columns each row carries, in order. */
  public List<String> metrics() {
    return metrics;
  }

  /**
   * The goal set for {@code metric} with {@link Builder#goal}, or null: then {@link
   * RunQueries#runs(RunFilter)} judges it by the goal the project's runs declared, else by its
   * name.
   */
  public MetricGoal setGoal(String metric) {
    return goals.get(metric);
  }

  /** The order; default {@link RunSort#newestFirst()}. */
  public RunSort sort() {
    return sort;
  }

  /** Matching runs skipped before the page; default 0. */
  public int offset() {
    return offset;
  }

  /** The page size; default {@value #DEFAULT_LIMIT}. */
  public int limit() {
    return limit;
  }

  /** Builds a {@link RunFilter}. Not thread-safe. */
  public static final class Builder {
    private final String project;
    private final Set<String> tagsAll = new LinkedHashSet<>();
    private final Set<String> tagsAny = new LinkedHashSet<>();
    private final Set<String> states = new LinkedHashSet<>();
    private Instant startedFrom;
    private Instant startedBefore;
    private ConfigFilter where;
    private final List<String> metrics = new ArrayList<>();
    private final Map<String, MetricGoal> goals = new LinkedHashMap<>();
    private RunSort sort = RunSort.newestFirst();
    private int offset;
    private int limit = DEFAULT_LIMIT;

    private Builder(String project) {
      this.project = Objects.requireNonNull(project, "project");
    }

    /** Runs that have every one of {@code tags}. */
    public Builder tagsAll(String... tags) {
      for (String tag : tags) {
        tagsAll.add(Objects.requireNonNull(tag, "tag"));
      }
      return this;
    }

    /** Runs that have at least one of {@code tags}. */
    public Builder tagsAny(String... tags) {
      for (String tag : tags) {
        tagsAny.add(Objects.requireNonNull(tag, "tag"));
      }
      return this;
    }

    /** Runs in one of {@code states}, e.g. {@code "FINISHED"}, {@code "CRASHED"}. */
    public Builder states(String... states) {
      for (String state : states) {
        this.states.add(Objects.requireNonNull(state, "state"));
      }
      return this;
    }

    /** Runs started in {@code [from, before)}; either may be null for an open end. */
    public Builder startedBetween(Instant from, Instant before) {
      if (from != null && before != null && !from.isBefore(before)) {
        throw new IllegalArgumentException("startedBetween needs from < before");
      }
      this.startedFrom = from;
      this.startedBefore = before;
      return this;
    }

    /**
     * Runs whose config matches {@code expression} ({@link ConfigFilter} syntax).
     *
     * @throws IllegalArgumentException when it does not parse
     */
    public Builder where(String expression) {
      return where(ConfigFilter.parse(expression));
    }

    /** Runs whose config matches {@code filter}, already parsed. */
    public Builder where(ConfigFilter filter) {
      this.where = Objects.requireNonNull(filter, "filter");
      return this;
    }

    /** Summary columns (final and best value) for these metrics, in this order. */
    public Builder metrics(String... metrics) {
      for (String metric : metrics) {
        if (!this.metrics.contains(Objects.requireNonNull(metric, "metric"))) {
          this.metrics.add(metric);
        }
      }
      return this;
    }

    /** Overrides the goal of {@code metric} the runs declared or its name gives. */
    public Builder goal(String metric, MetricGoal goal) {
      goals.put(Objects.requireNonNull(metric, "metric"), Objects.requireNonNull(goal, "goal"));
      return this;
    }

    /** Default {@link RunSort#newestFirst()}. */
    public Builder sort(RunSort sort) {
      this.sort = Objects.requireNonNull(sort, "sort");
      return this;
    }

    /** Default offset 0 and {@value #DEFAULT_LIMIT} runs; limit 1 to {@value #MAX_LIMIT}. */
    public Builder page(int offset, int limit) {
      if (offset < 0) {
        throw new IllegalArgumentException("offset must not be negative: " + offset);
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ": " + limit);
      }
      this.offset = offset;
      this.limit = limit;
      return this;
    }

    /** Builds the filter; the builder stays usable for another. */
    public RunFilter build() {
      return new RunFilter(this);
    }
  }
}
