// The labextension builder bundles SVGs as source strings.
declare module '*.svg' {
  const value: string;
  export default value;
}
