namespace CmpKit; internal static class Placeholder { }
