import weakref
class _State:
    pass
_module_state_mapping = weakref.WeakKeyDictionary()
def _insert_module_state(module, state):
    _module_state_mapping[module] = weakref.ref(state)
