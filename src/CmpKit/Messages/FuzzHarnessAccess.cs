using System.Runtime.CompilerServices;

// The AFL++ harness (fuzz/CmpKit.Fuzz) drives the message layer directly, as the unit tests do.
[assembly: InternalsVisibleTo("CmpKit.Fuzz")]
