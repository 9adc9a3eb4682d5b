//! Host-side bindings of the WIT package, generated from the world that holds every
//! capability. Each plugin's linker takes only the interfaces its policy grants.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "all-capabilities",
    imports: { default: async },
    exports: { default: async },
});
