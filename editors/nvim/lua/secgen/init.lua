--- secgen for Neovim: completions checked and repaired by static analyzers.
---
--- One entry point, `require("secgen").setup(opts)`, which
---
---   * describes the `secgen-lsp --stdio` server with `vim.lsp.config("secgen", ...)` and turns it on with
---     `vim.lsp.enable("secgen")` (Neovim 0.11+), so it attaches to the filetypes secgen analyzes;
---   * on attach, turns on ghost-text suggestions through `vim.lsp.inline_completion` where the editor has it
---     (0.12+), and plain LSP completion (`vim.lsp.completion`, <C-x><C-o>) otherwise;
---   * adds the commands :SecgenFixFile, :SecgenGenerate, :SecgenStats and :SecgenStatus;
---   * keeps the server's `secgen/status` notification for `require("secgen").statusline()`.
---
--- Diagnostics and code actions ("Fix with analyzer: RULE", "Suppress RULE with # nosec", "Fix all analyzer
--- findings in this file") come through the built-in client: `vim.diagnostic` and `vim.lsp.buf.code_action()`.
--- The options are documented in `:help secgen` (editors/nvim/doc/secgen.txt).

local M = {}

local NAME = "secgen"
local INSTALL_HINT = "install the server with `python3 -m pip install -e /path/to/secgen` (or run `make demo` "
  .. "in a secgen checkout and use its .venv/bin/secgen-lsp), then set `cmd` or `python` in "
  .. 'require("secgen").setup({...})'

--- The defaults; `setup(opts)` merges `opts` over them.
M.defaults = {
  -- The server's command. nil: {python, "-m", "secgen.server.lsp", "--stdio"} when `python` is set,
  -- else {"secgen-lsp", "--stdio"} from $PATH.
  cmd = nil,
  -- A Python interpreter that has secgen installed (used when `cmd` is nil).
  python = nil,
  -- Where the server writes its log (passed as --log-file); nil: warnings go to Neovim's LSP log.
  log_file = nil,
  filetypes = { "python", "c", "cpp", "cs", "java", "javascript", "javascriptreact", "php", "rust" },
  root_markers = { "pyproject.toml", "setup.py", "setup.cfg", "Makefile", ".git" },
  -- The server's own settings (section "secgen"; see server/settings.schema.json), e.g.
  -- { model = "0.5b", tMax = 3, residualSuggestions = "warn", policy = { blockAt = "medium" } }.
  settings = {},
  -- Ghost text through vim.lsp.inline_completion (0.12+). false: plain completion only.
  inline = true,
  -- Insert-mode keys; false turns one off. `accept` falls back to the key itself when there is no suggestion.
  keys = { accept = "<Tab>", next = "<M-]>", prev = "<M-[>" },
}

M.config = vim.deepcopy(M.defaults)

-- The latest `secgen/status` params, and the server's state as the statusline shows it.
local status = nil

local function notify(message, level)
  vim.notify("secgen: " .. message, level or vim.log.levels.INFO)
end

--- The command that starts the server, and whether its program can be found.
---@return string[] cmd, string|nil problem
function M.command(config)
  config = config or M.config
  local cmd
  if config.cmd then
    cmd = vim.deepcopy(config.cmd)
  elseif config.python then
    cmd = { config.python, "-m", "secgen.server.lsp", "--stdio" }
  else
    cmd = { "secgen-lsp", "--stdio" }
  end
  if config.log_file then
    vim.list_extend(cmd, { "--log-file", config.log_file })
  end
  if vim.fn.executable(cmd[1]) ~= 1 then
    return cmd, ("cannot start the language server: %q is not an executable (searched $PATH); %s"):format(
      cmd[1], INSTALL_HINT)
  end
  return cmd, nil
end

--- The text for a statusline: "secgen: loading", "secgen: ready · 1.2 s · 3 repaired", "secgen: model failed".
function M.statusline()
  if not status then
    return ""
  end
  local model = status.model or {}
  if model.state == "loading" then
    return "secgen: loading"
  elseif model.state == "failed" then
    return "secgen: model failed"
  end
  local parts = { "secgen: ready" }
  if status.lastLatencyMs ~= nil and status.lastLatencyMs ~= vim.NIL then
    table.insert(parts, ("%.1f s"):format(status.lastLatencyMs / 1000))
  end
  local counts = status.counts or {}
  table.insert(parts, ("%d repaired"):format(counts.repaired or 0))
  return table.concat(parts, " · ")
end

--- The latest `secgen/status` (nil before the server sent one).
function M.status()
  return status
end

local function on_status(_, params)
  local before = status and status.model and status.model.state
  status = params
  local model = params.model or {}
  if model.state ~= before then
    if model.state == "failed" then
      notify("completions are off: " .. tostring(model.error), vim.log.levels.ERROR)
    end
    vim.api.nvim_exec_autocmds("User", { pattern = "SecgenStatus", modeline = false })
  end
  vim.cmd.redrawstatus({ bang = true })
end

local function client_for(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = NAME })[1]
end

local function map_keys(client, bufnr)
  local keys = M.config.keys or {}
  local has_inline = M.config.inline and vim.lsp.inline_completion ~= nil
  if has_inline and keys.accept then
    vim.keymap.set("i", keys.accept, function()
      if not vim.lsp.inline_completion.get({ bufnr = bufnr }) then
        return vim.keycode(keys.accept)
      end
    end, { buffer = bufnr, expr = true, desc = "secgen: accept the suggestion" })
  end
  if has_inline and keys.next then
    vim.keymap.set("i", keys.next, function()
      vim.lsp.inline_completion.select({ bufnr = bufnr, count = 1 })
    end, { buffer = bufnr, desc = "secgen: next suggestion" })
  end
  if has_inline and keys.prev then
    vim.keymap.set("i", keys.prev, function()
      vim.lsp.inline_completion.select({ bufnr = bufnr, count = -1 })
    end, { buffer = bufnr, desc = "secgen: previous suggestion" })
  end
end

--- Neovim's built-in completion inserts only the first word of a plain-text item (it expands whole text edits
--- for snippets only), but secgen's item is a whole block of code: on accept, put in the rest.
local function complete_rest(bufnr)
  vim.api.nvim_create_autocmd("CompleteDone", {
    group = vim.api.nvim_create_augroup("secgen.complete." .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = function()
      if vim.v.event.reason ~= "accept" then
        return
      end
      local completed = vim.v.completed_item or {}
      local lsp_data = vim.tbl_get(completed, "user_data", "nvim", "lsp") or {}
      local item, client = lsp_data.completion_item, lsp_data.client_id and vim.lsp.get_client_by_id(lsp_data.client_id)
      if not (item and client and client.name == NAME and item.textEdit and item.insertTextFormat ~= 2) then
        return
      end
      local word, text, start = completed.word or "", item.textEdit.newText, item.textEdit.range.start
      if text == word then
        return
      end
      vim.schedule(function()
        local row = start.line
        local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
        if not line then
          return
        end
        local col = vim.str_byteindex(line, client.offset_encoding, start.character, false)
        if line:sub(col + 1, col + #word) ~= word then
          return -- the user typed on: leave the buffer alone
        end
        local lines = vim.split(text, "\n", { plain = true })
        vim.api.nvim_buf_set_text(bufnr, row, col, row, col + #word, lines)
        local last = row + #lines
        local win = vim.fn.bufwinid(bufnr)
        if win ~= -1 then
          vim.api.nvim_win_set_cursor(win, { last, (#lines == 1 and col or 0) + #lines[#lines] })
        end
      end)
    end,
  })
end

local function on_attach(client, bufnr)
  if M.config.inline and vim.lsp.inline_completion then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  elseif vim.lsp.completion then
    -- no ghost text: the suggestion is one completion item (<C-x><C-o>). With the default 'completeopt' a
    -- single match is inserted without a menu and only its first word lands, so show the menu for one match
    -- too (buffer-local; the item's documentation shows the whole suggestion and its findings).
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = false })
    vim.api.nvim_set_option_value("completeopt", "menuone,noinsert,popup", { scope = "local", buf = bufnr })
    complete_rest(bufnr)
  end
  map_keys(client, bufnr)
end

--- :SecgenFixFile: the "Fix all analyzer findings in this file" action (the server runs the repair loop).
function M.fix_file()
  if not client_for(0) then
    return notify("the server is not attached to this buffer", vim.log.levels.WARN)
  end
  notify("repairing the findings in this file (the model takes a few seconds)...")
  vim.lsp.buf.code_action({ context = { only = { "source.fixAll" }, diagnostics = {} }, apply = true })
end

--- :SecgenGenerate: the comment block at the cursor becomes code, inserted below it.
function M.generate()
  local client = client_for(0)
  if not client then
    return notify("the server is not attached to this buffer", vim.log.levels.WARN)
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  notify("generating code from the comment...")
  client:exec_cmd({ title = "secgen: generate", command = "secgen.generate",
                    arguments = { params.textDocument.uri, params.position } },
    { bufnr = vim.api.nvim_get_current_buf() },
    function(err, result)
      if err then
        notify("generate failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif result and result.applied == false then
        notify("nothing generated: " .. tostring(result.reason), vim.log.levels.WARN)
      elseif result and result.residual and #result.residual > 0 then
        notify("inserted, with unresolved findings: " .. table.concat(result.residual, ", "), vim.log.levels.WARN)
      end
    end)
end

--- Format `secgen/stats` as lines of text.
function M.format_stats(stats)
  local lines = { "secgen stats", "" }
  local model = stats.model or {}
  table.insert(lines, ("model: %s (%s)"):format(tostring(model.name), tostring(model.state)))
  if model.error ~= nil and model.error ~= vim.NIL then
    table.insert(lines, "error: " .. tostring(model.error))
  end
  table.insert(lines, "")
  local counts = stats.counts or {}
  local names = vim.tbl_keys(counts)
  table.sort(names)
  for _, name in ipairs(names) do
    table.insert(lines, ("%-12s %d"):format(name, counts[name]))
  end
  table.insert(lines, "")
  table.insert(lines, ("%-12s %6s %10s %10s"):format("stage", "count", "p50 ms", "p95 ms"))
  local stages = vim.tbl_keys(stats.latency or {})
  table.sort(stages)
  for _, stage in ipairs(stages) do
    local s = stats.latency[stage]
    table.insert(lines, ("%-12s %6d %10.1f %10.1f"):format(stage, s.count, s.p50_ms, s.p95_ms))
  end
  return lines
end

--- :SecgenStats: the server's latencies and counts in a scratch buffer.
function M.show_stats()
  local client = client_for(0) or vim.lsp.get_clients({ name = NAME })[1]
  if not client then
    return notify("the server is not running", vim.log.levels.WARN)
  end
  client:request("secgen/stats", {}, function(err, result)
    if err then
      return notify("stats failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
    vim.cmd("botright new")
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype, vim.bo[buf].bufhidden, vim.bo[buf].swapfile = "nofile", "wipe", false
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, M.format_stats(result))
    vim.bo[buf].modifiable = false
  end)
end

local function commands()
  local command = vim.api.nvim_create_user_command
  command("SecgenFixFile", M.fix_file, { desc = "secgen: fix all analyzer findings in this file" })
  command("SecgenGenerate", M.generate, { desc = "secgen: generate code from the comment at the cursor" })
  command("SecgenStats", M.show_stats, { desc = "secgen: latencies and counts" })
  command("SecgenStatus", function()
    print(M.statusline() ~= "" and M.statusline() or "secgen: no status yet")
  end, { desc = "secgen: the model's state" })
end

--- Configure and enable the secgen language server. Returns false (with a message) when it cannot start.
function M.setup(opts)
  if vim.fn.has("nvim-0.11") ~= 1 then
    notify("needs Neovim 0.11 or newer (vim.lsp.config / vim.lsp.enable)", vim.log.levels.ERROR)
    return false
  end
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  if opts and opts.keys == false then
    M.config.keys = {}
  end
  local cmd, problem = M.command(M.config)
  commands()
  if problem then
    notify(problem, vim.log.levels.ERROR)
    return false
  end
  -- an empty Lua table would go out as a JSON array; the server wants an object
  local settings = next(M.config.settings) and M.config.settings or vim.empty_dict()
  vim.lsp.config(NAME, {
    cmd = cmd,
    filetypes = M.config.filetypes,
    root_markers = M.config.root_markers,
    init_options = settings,
    settings = { secgen = settings },
    handlers = { ["secgen/status"] = on_status },
    on_attach = on_attach,
  })
  vim.lsp.enable(NAME)
  return true
end

return M
