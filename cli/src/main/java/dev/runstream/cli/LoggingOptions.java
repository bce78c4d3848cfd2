package dev.runstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * The logging flags every command takes: {@code --verbose} and {@code --quiet}. A mixin of the root
 * command, inherited by every subcommand, so {@code runstream demo --quiet} and {@code runstream
 * --quiet demo} both work.
 */
final class LoggingOptions {
  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Log more: runstream's debug messages, the libraries' warnings and notes.")
  boolean verbose;

  @Option(names = "--quiet", scope = ScopeType.INHERIT, description = "Log errors only.")
  boolean quiet;

  /**
   * The verbosity the command line asks for, wherever in the chain of commands the flag appears.
   *
   * @throws CommandLine.ParameterException if both flags are given
   */
  static CliLogging.Verbosity verbosity(ParseResult parsed) {
    boolean verbose = false;
    boolean quiet = false;
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      verbose |= p.hasMatchedOption("--verbose");
      quiet |= p.hasMatchedOption("--quiet");
    }
    if (verbose && quiet) {
      throw new CommandLine.ParameterException(
          last(parsed).commandSpec().commandLine(), "--verbose and --quiet exclude each other");
    }
    return verbose
        ? CliLogging.Verbosity.VERBOSE
        : quiet ? CliLogging.Verbosity.QUIET : CliLogging.Verbosity.NORMAL;
  }

  /** The command that runs: the last of the chain. */
  static ParseResult last(ParseResult parsed) {
    ParseResult p = parsed;
    while (p.subcommand() != null) {
      p = p.subcommand();
    }
    return p;
  }
}
