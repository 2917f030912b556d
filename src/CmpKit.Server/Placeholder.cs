namespace CmpKit.Server; internal static class Placeholder { }
